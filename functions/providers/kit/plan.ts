// Helpers for a provider's infrastructure-cluster plan (the operator's InfraCluster step).
import type { APIEndpoint } from '../../../shared/api/capi/cluster.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { MAPI_API_VERSION, MAPILabels, Namespaces } from '../../../shared/api/openshift/constants.ts';
import type { InfraClusterInputs } from './module.ts';

/** The control-plane endpoint from `status.apiServerInternalURI`, or a note of what is missing. */
export function endpointOrMissing(inputs: InfraClusterInputs, missing: string[]): APIEndpoint | undefined {
  if (!inputs.endpoint) missing.push('a parseable Infrastructure status.apiServerInternalURI');
  return inputs.endpoint;
}

/** The value at `v` when it is a non-empty string. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function rec(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `need(value, what)`: the value, or undefined with `what` noted as missing. */
export function needer(missing: string[]) {
  return <T>(v: T | undefined, what: string): T | undefined => {
    if (v === undefined) missing.push(what);
    return v;
  };
}

/** An Opaque Secret in `namespace` (default openshift-cluster-api) with `data` base64-encoded. */
export function secretObject(
  name: string,
  data: Record<string, string>,
  extra: Partial<KubeObject> & { namespace?: string } = {},
): KubeObject {
  const { namespace, ...rest } = extra;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: namespace ?? Namespaces.clusterAPI },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    ...rest,
  };
}

export function secretKey(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

/** A MAPI MachineSet as the installer writes one (replicas 0): the operator reads its providerSpec. */
export function mapiMachineSet(infraName: string, providerSpec: Record<string, unknown>): KubeObject {
  const name = `${infraName}-worker-0`;
  const labels = { [MAPILabels.clusterAPICluster]: infraName, [MAPILabels.clusterAPIMachineSet]: name };
  return {
    apiVersion: MAPI_API_VERSION,
    kind: 'MachineSet',
    metadata: { name, namespace: Namespaces.machineAPI, labels: { [MAPILabels.clusterAPICluster]: infraName } },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, [MAPILabels.clusterAPIMachineRole]: 'worker' } },
        spec: { providerSpec: { value: { apiVersion: MAPI_API_VERSION, ...providerSpec } } },
      },
    },
  };
}

/** The on-premises platforms' API and ingress VIPs, as the installer reports them. */
export const SIMULATED_VIP = '10.0.0.5';
export const SIMULATED_ON_PREM = {
  apiServerInternalIPs: [SIMULATED_VIP],
  ingressIPs: ['10.0.0.7'],
  loadBalancer: { type: 'OpenShiftManagedDefault' },
};

/** A `doctor` credentials check: ok when `found`, else a failure with the fix. */
export function credentialCheck(
  name: string,
  found: boolean,
  o: { ok: string; missing: string; fix: string },
): { name: string; status: 'ok' | 'fail'; detail: string; fix?: string } {
  return found ? { name, status: 'ok', detail: o.ok } : { name, status: 'fail', detail: o.missing, fix: o.fix };
}
