// The Machine's bootstrap data: the Secret named by `Machine.spec.bootstrap.dataSecretName`, key `value`
// (the bytes) and `format` (`ignition` for OpenShift's worker-user-data, or `cloud-config`). A Machine API
// user-data Secret (OpenShift's `worker-user-data-managed`, which the bare-metal docs have users copy) holds the
// same bytes under `userData`, which the baremetal-operator reads too: accepted as well.
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { BootstrapData } from './definition.ts';

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

export type BootstrapRead =
  | { ok: true; data: BootstrapData }
  | { ok: false; reason: 'WaitingForBootstrapData' | 'BootstrapDataInvalid'; message: string };

export async function readBootstrapData(
  kube: KubeClient,
  namespace: string,
  secretName: string,
): Promise<BootstrapRead> {
  const secret = await kube.find<SecretLike>({ apiVersion: 'v1', kind: 'Secret', namespace, name: secretName });
  if (!secret) {
    return { ok: false, reason: 'WaitingForBootstrapData', message: `bootstrap data secret ${secretName} not found` };
  }
  const value = secret.data?.value ?? secret.data?.userData;
  if (value === undefined) {
    return {
      ok: false,
      reason: 'BootstrapDataInvalid',
      message: `bootstrap data secret ${secretName} has no "value" key (nor a Machine API "userData" key)`,
    };
  }
  const format =
    secret.data?.format !== undefined ? Buffer.from(secret.data.format, 'base64').toString('utf8').trim() : '';
  return { ok: true, data: { secretName, value: Buffer.from(value, 'base64'), format } };
}
