// The user-data secret sync step (openshift-capi.md §1.6, "User-data secret sync controller"): every documented
// MachineSet uses `bootstrap.dataSecretName: worker-user-data`, so the worker Ignition stub the installer left in
// openshift-machine-api is copied to openshift-cluster-api in the shape CAPI bootstrap data takes.
import type { KubeObject } from '../../shared/api/meta.ts';
import { Namespaces, OperatorNames } from '../../shared/api/openshift/constants.ts';

export interface SecretObject extends KubeObject {
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export const USER_DATA_SOURCE = { namespace: Namespaces.machineAPI, name: OperatorNames.userDataSecret } as const;
export const USER_DATA_TARGET = { namespace: Namespaces.clusterAPI, name: OperatorNames.userDataSecret } as const;
/** The key the installer writes the worker Ignition under. */
export const SOURCE_KEY = 'userData';

export type UserDataPlan =
  | { ok: true; desired: SecretObject }
  | {
      ok: false;
      /** Degraded message: what is missing. */
      error: string;
    };

/** The target Secret for `source`, or why there is none (source missing or without `userData`). */
export function planUserData(source: SecretObject | undefined): UserDataPlan {
  const where = `${USER_DATA_SOURCE.namespace}/${USER_DATA_SOURCE.name}`;
  if (!source) return { ok: false, error: `source secret ${where} not found` };
  const value = source.data?.[SOURCE_KEY];
  if (!value) return { ok: false, error: `source secret ${where} has no "${SOURCE_KEY}" key` };
  const desired: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: USER_DATA_TARGET.name, namespace: USER_DATA_TARGET.namespace },
    type: source.type ?? 'Opaque',
    data: { value, format: Buffer.from('ignition').toString('base64') },
    ...(source.immutable !== undefined ? { immutable: source.immutable } : {}),
  };
  return { ok: true, desired };
}

/** The operator's "equal" check before writing: data bytes, type and immutability. */
export function userDataInSync(current: SecretObject | undefined, desired: SecretObject): boolean {
  if (!current) return false;
  const a = current.data ?? {};
  const b = desired.data ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return (
    (current.type ?? 'Opaque') === (desired.type ?? 'Opaque') &&
    Boolean(current.immutable) === Boolean(desired.immutable)
  );
}
