// The kubeconfig step (openshift-capi.md §1.6, "Kubeconfig controller"): core CAPI treats this cluster as its own
// workload cluster, so `<infraName>-kubeconfig` must hold a kubeconfig for it.
//
// The real operator copies the token of the legacy ServiceAccount-token Secret `cluster-capi-operator-secret`
// (which only a kube-controller-manager token controller fills in) and rotates it by deleting that Secret after
// 30 minutes. capi-fn does the equivalent in one of two ways that need no token controller:
//  - `tokenRequest` (default): a bound token for ServiceAccount `cluster-capi-operator` in openshift-cluster-api
//    from the TokenRequest API (`POST serviceaccounts/<sa>/token`, GA since Kubernetes 1.22), valid for an hour,
//    re-minted after 30 minutes like the real rotation; CA from the `kube-root-ca.crt` ConfigMap every namespace has;
//  - `static`: credentials handed to the operator (the embedded default, whose API server has one bearer token
//    and no TokenRequest API, passes its own server URL, CA and token).
import { createHash } from 'node:crypto';
import { Labels } from '../../shared/api/capi/constants.ts';
import { Namespaces, OperatorNames } from '../../shared/api/openshift/constants.ts';
import { writeYaml } from '../../shared/text/yaml.ts';
import type { SecretObject } from './user-data.ts';

export const CLUSTER_SECRET_TYPE = 'cluster.x-k8s.io/secret';
export const KUBECONFIG_USER = OperatorNames.serviceAccount;
/** Annotations recording when the token was issued and for which server + CA (so a rotation is decidable). */
export const KubeconfigAnnotations = {
  issuedAt: 'capi-fn.io/token-issued-at',
  target: 'capi-fn.io/kubeconfig-target',
} as const;
/** Token lifetime requested from the TokenRequest API, and when to re-mint (the operator's 30-minute rule). */
export const TOKEN_EXPIRATION_SECONDS = 3600;
export const TOKEN_ROTATE_AFTER_MS = 30 * 60 * 1000;

export type KubeconfigSource =
  | { type: 'static'; server?: string; caPem?: string; token: string }
  | { type: 'tokenRequest'; serviceAccount?: string; expirationSeconds?: number };

export interface KubeconfigTarget {
  server: string;
  caPem: string | undefined;
}

export function kubeconfigSecretName(infrastructureName: string): string {
  return `${infrastructureName}-kubeconfig`;
}

/** A digest of server + CA: a change of either means the stored kubeconfig is stale, whatever its token. */
export function targetDigest(t: KubeconfigTarget): string {
  return createHash('sha256')
    .update(`${t.server}\n${t.caPem ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

export function renderKubeconfig(infrastructureName: string, t: KubeconfigTarget, token: string): string {
  const context = `${KUBECONFIG_USER}@${infrastructureName}`;
  return writeYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: infrastructureName,
        cluster: {
          server: t.server,
          ...(t.caPem ? { 'certificate-authority-data': Buffer.from(t.caPem).toString('base64') } : {}),
        },
      },
    ],
    contexts: [
      {
        name: context,
        context: { cluster: infrastructureName, user: KUBECONFIG_USER, namespace: Namespaces.clusterAPI },
      },
    ],
    'current-context': context,
    users: [{ name: KUBECONFIG_USER, user: { token } }],
  });
}

export function desiredKubeconfigSecret(
  infrastructureName: string,
  t: KubeconfigTarget,
  token: string,
  issuedAt: Date,
): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: kubeconfigSecretName(infrastructureName),
      namespace: Namespaces.clusterAPI,
      labels: { [Labels.clusterName]: infrastructureName },
      annotations: {
        [KubeconfigAnnotations.issuedAt]: issuedAt.toISOString(),
        [KubeconfigAnnotations.target]: targetDigest(t),
      },
    },
    type: CLUSTER_SECRET_TYPE,
    data: { value: Buffer.from(renderKubeconfig(infrastructureName, t, token)).toString('base64') },
  };
}

/**
 * Whether the stored Secret must be rewritten. Static credentials: whenever the rendered kubeconfig differs.
 * Minted tokens: when the Secret is missing, of the wrong type or label, for another server or CA, or older than
 * the rotation age (a fresh token differs every time, so comparing contents would rewrite on every call).
 */
export function kubeconfigStale(
  current: SecretObject | undefined,
  infrastructureName: string,
  t: KubeconfigTarget,
  opts: { now: Date; staticToken?: string },
): boolean {
  if (!current) return true;
  if (current.type !== CLUSTER_SECRET_TYPE) return true;
  if (current.metadata.labels?.[Labels.clusterName] !== infrastructureName) return true;
  if (current.metadata.annotations?.[KubeconfigAnnotations.target] !== targetDigest(t)) return true;
  if (opts.staticToken !== undefined) {
    const want = Buffer.from(renderKubeconfig(infrastructureName, t, opts.staticToken)).toString('base64');
    return current.data?.value !== want;
  }
  const issued = Date.parse(current.metadata.annotations?.[KubeconfigAnnotations.issuedAt] ?? '');
  return !Number.isFinite(issued) || opts.now.getTime() - issued >= TOKEN_ROTATE_AFTER_MS;
}

/** Milliseconds until a minted token must be re-minted (for the requeue); undefined for static credentials. */
export function rotationDueInMs(current: SecretObject | undefined, now: Date): number | undefined {
  const issued = Date.parse(current?.metadata.annotations?.[KubeconfigAnnotations.issuedAt] ?? '');
  if (!Number.isFinite(issued)) return undefined;
  return Math.max(0, issued + TOKEN_ROTATE_AFTER_MS - now.getTime());
}
