// The kit's port over Compute Engine: identity is the instance name (the GCPMachine's) in the Machine's zone
// and the `capi-fn-machine-uid` label; the ownership marker is CAPG's `capg-cluster-<cluster>: owned`;
// idempotency the name itself plus a requestId derived from the key. One port per project/zone.
import type { MachineAddress } from '../../../shared/api/capi/common.ts';
import type { CloudInstance, CloudPort, InstanceState } from '../kit/port.ts';
import { type GceApi, type GceInstance, GoogleApiError, OperationError } from './client.ts';
import {
  CLUSTER_LABEL_PREFIX,
  formatProviderID,
  IDENTITY_LABEL,
  lastSegment,
  parseLocation,
  parseProviderID,
  requestIdFor,
} from './names.ts';

/** CAPG: provisioning and staging are on the way, running is ready; anything else is unexpected. */
const STATES: Record<string, InstanceState> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  // Ours while deleting; otherwise someone is stopping it (then TERMINATED below fails the machine).
  STOPPING: 'terminating',
};

/** How long a create waits for its zone operation (a quota refusal comes back as a failed operation). */
export const INSERT_WAIT_MS = 20_000;

export function addressesOf(inst: GceInstance, project: string, zone: string): MachineAddress[] {
  const out: MachineAddress[] = [];
  for (const nic of inst.networkInterfaces ?? []) {
    if (nic.networkIP) out.push({ type: 'InternalIP', address: nic.networkIP });
    for (const ac of nic.accessConfigs ?? []) if (ac.natIP) out.push({ type: 'ExternalIP', address: ac.natIP });
  }
  out.push(
    { type: 'InternalDNS', address: `${inst.name}.${zone}.c.${project}.internal` },
    { type: 'InternalDNS', address: `${inst.name}.c.${project}.internal` },
    { type: 'InternalDNS', address: inst.name },
  );
  return out;
}

export function toCloudInstance(inst: GceInstance, project: string, fallbackZone: string): CloudInstance {
  const zone = lastSegment(inst.zone) ?? fallbackZone;
  const native = inst.status ?? '';
  const state = STATES[native] ?? 'failed';
  const labels = inst.labels ?? {};
  const cluster = Object.keys(labels).find((k) => k.startsWith(CLUSTER_LABEL_PREFIX) && labels[k] === 'owned');
  return {
    id: inst.name,
    providerID: formatProviderID(project, zone, inst.name),
    state,
    nativeState: native,
    ...(native === 'STAGING' || native === 'PROVISIONING' ? { transitioning: true } : {}),
    addresses: addressesOf(inst, project, zone),
    failureDomain: zone,
    owner: { cluster: cluster?.slice(CLUSTER_LABEL_PREFIX.length), machineUid: labels[IDENTITY_LABEL] },
    ...(inst.creationTimestamp ? { createdAt: new Date(inst.creationTimestamp).toISOString() } : {}),
    hostname: inst.name,
    ...(inst.machineType ? { instanceType: lastSegment(inst.machineType) } : {}),
    ...(state === 'failed' ? { failureMessage: `GCPMachine instance state ${native} is unexpected` } : {}),
    raw: inst,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getOrUndefined(
  api: GceApi,
  project: string,
  zone: string,
  name: string,
): Promise<GceInstance | undefined> {
  try {
    return await api.getInstance(project, zone, name);
  } catch (e) {
    if (e instanceof GoogleApiError && e.status === 404) return undefined;
    throw e;
  }
}

export function gcpPort(
  api: GceApi,
  location: string | undefined,
  o: { insertWaitMs?: number } = {},
): CloudPort<GceInstance> {
  const { project, zone } = parseLocation(location);
  const where = () => {
    if (!project || !zone) throw new Error(`no GCP project/zone for this machine (location ${location ?? 'unset'})`);
    return { project, zone };
  };
  return {
    async find(identity) {
      // Without a zone nothing can have been created (the create needs one).
      if (!project || !zone) return [];
      const inst = await getOrUndefined(api, project, zone, identity.name);
      return inst ? [toCloudInstance(inst, project, zone)] : [];
    },
    async get(name) {
      const w = where();
      const inst = await getOrUndefined(api, w.project, w.zone, name);
      return inst ? toCloudInstance(inst, w.project, w.zone) : undefined;
    },
    async create(body, key) {
      const w = where();
      let op: Awaited<ReturnType<GceApi['insertInstance']>>;
      try {
        op = await api.insertInstance(w.project, w.zone, body, requestIdFor(key, 'insert'));
      } catch (e) {
        // The name is the identity: an instance by that name already exists (a create whose answer was lost).
        if (e instanceof GoogleApiError && e.status === 409) {
          const existing = await getOrUndefined(api, w.project, w.zone, body.name);
          if (existing) return toCloudInstance(existing, w.project, w.zone);
        }
        throw e;
      }
      // Follow the operation briefly: quota and capacity refusals arrive as a failed operation, and a failed
      // insert leaves no instance. A slower one is looked at again by the next reconcile.
      const deadline = Date.now() + (o.insertWaitMs ?? INSERT_WAIT_MS);
      while (op.status !== 'DONE' && Date.now() < deadline) {
        await sleep(500);
        op = await api.getZoneOperation(w.project, w.zone, op.name);
      }
      const err = op.error?.errors?.[0];
      if (op.status === 'DONE' && err) {
        throw new OperationError(
          err.code ?? 'OPERATION_FAILED',
          err.message ?? op.httpErrorMessage ?? 'the insert failed',
          op.httpErrorStatusCode,
        );
      }
      const inst = await getOrUndefined(api, w.project, w.zone, body.name);
      return toCloudInstance(inst ?? { ...body, status: 'PROVISIONING' }, w.project, w.zone);
    },
    async delete(inst) {
      // The instance says where it is (the orphan scan's port knows only the project).
      const at = parseProviderID(inst.providerID) ?? { ...where(), name: inst.id };
      try {
        await api.deleteInstance(at.project, at.zone, at.name, requestIdFor(`${inst.providerID}`, 'delete'));
      } catch (e) {
        if (e instanceof GoogleApiError && e.status === 404) return;
        throw e;
      }
    },
    async listOwned(scope) {
      if (!project) return [];
      const filter = scope.clusterName
        ? `labels.${CLUSTER_LABEL_PREFIX}${scope.clusterName}=owned`
        : `labels.${IDENTITY_LABEL}:*`;
      const all = await api.listInstances(project, filter);
      return all
        .filter(
          (i) =>
            i.labels?.[IDENTITY_LABEL] &&
            (!scope.clusterName || i.labels?.[`${CLUSTER_LABEL_PREFIX}${scope.clusterName}`] === 'owned'),
        )
        .map((i) => toCloudInstance(i, project, lastSegment(i.zone) ?? zone ?? ''));
    },
  };
}
