// Kubeconfig step I/O: keep `<infraName>-kubeconfig` valid (see kubeconfig.ts for which token it holds and why).
import type { KubeObject } from '../../shared/api/meta.ts';
import { Namespaces, OperatorNames } from '../../shared/api/openshift/constants.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound, KubeError } from '../../shared/kube/errors.ts';
import type { Clock } from '../../shared/runtime/handler.ts';
import { createIfAbsent } from './io.ts';
import {
  desiredKubeconfigSecret,
  type KubeconfigSource,
  type KubeconfigTarget,
  kubeconfigSecretName,
  kubeconfigStale,
  rotationDueInMs,
  TOKEN_EXPIRATION_SECONDS,
} from './kubeconfig.ts';
import type { StepOutcome } from './status.ts';
import { writeSecret } from './sync-user-data.ts';
import type { SecretObject } from './user-data.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

interface TokenRequestResponse {
  status?: { token?: string; expirationTimestamp?: string };
}

/** A bound ServiceAccount token from the TokenRequest API (the ServiceAccount is created when missing). */
async function mintToken(kube: KubeClient, serviceAccount: string, expirationSeconds: number): Promise<string> {
  const sa = { apiVersion: 'v1', kind: 'ServiceAccount', namespace: Namespaces.clusterAPI, name: serviceAccount };
  await createIfAbsent(kube, {
    apiVersion: sa.apiVersion,
    kind: sa.kind,
    metadata: { name: sa.name, namespace: sa.namespace },
  });
  let res: TokenRequestResponse;
  try {
    res = (await kube.createSubresource(sa, 'token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds },
    })) as TokenRequestResponse;
  } catch (e) {
    if (isNotFound(e) || (e instanceof KubeError && e.reason === 'MethodNotAllowed')) {
      throw new Error(
        `the API server does not serve the TokenRequest API (POST serviceaccounts/${serviceAccount}/token), so no ServiceAccount token can be minted for the kubeconfig; give the operator static credentials instead (operatorHandler({ kubeconfig: { type: 'static', server, caPem, token } }))`,
      );
    }
    throw e;
  }
  const token = res.status?.token;
  if (!token) throw new Error(`TokenRequest for ServiceAccount ${sa.namespace}/${sa.name} returned no token`);
  return token;
}

export interface KubeconfigResult {
  outcome: StepOutcome;
  /** When the minted token must be replaced. */
  requeueAfter?: number;
}

export async function syncKubeconfig(
  kube: KubeClient,
  clock: Clock,
  source: KubeconfigSource,
  infrastructureName: string,
): Promise<KubeconfigResult> {
  if (!infrastructureName) {
    return { outcome: { state: 'pending', message: 'waiting for Infrastructure status.infrastructureName' } };
  }
  const name = kubeconfigSecretName(infrastructureName);
  const key = { apiVersion: 'v1', kind: 'Secret', namespace: Namespaces.clusterAPI, name };
  const now = clock.now();
  let target: KubeconfigTarget;
  if (source.type === 'static') {
    target = { server: source.server ?? kube.transport.server, caPem: source.caPem };
  } else {
    // The root CA every namespace gets from kube-controller-manager, as a Pod's service account sees it.
    const cm = await kube.find<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: Namespaces.clusterAPI,
      name: 'kube-root-ca.crt',
    });
    target = { server: kube.transport.server, caPem: cm?.data?.['ca.crt'] };
  }
  const current = await kube.find<SecretObject>(key);
  const staticToken = source.type === 'static' ? source.token : undefined;
  const stale = kubeconfigStale(current, infrastructureName, target, {
    now,
    ...(staticToken !== undefined ? { staticToken } : {}),
  });
  let written = current;
  if (stale) {
    const token =
      staticToken ??
      (await mintToken(
        kube,
        source.type === 'tokenRequest' ? (source.serviceAccount ?? OperatorNames.serviceAccount) : '',
        source.type === 'tokenRequest'
          ? (source.expirationSeconds ?? TOKEN_EXPIRATION_SECONDS)
          : TOKEN_EXPIRATION_SECONDS,
      ));
    const desired = desiredKubeconfigSecret(infrastructureName, target, token, now);
    await writeSecret(kube, current, desired);
    written = desired;
  }
  const requeueAfter = staticToken === undefined ? rotationDueInMs(written, now) : undefined;
  return {
    outcome: {
      state: 'done',
      message: `${Namespaces.clusterAPI}/${name} holds a kubeconfig for ${target.server} (${staticToken === undefined ? 'ServiceAccount token, rotated every 30 minutes' : 'the credentials the operator was given'})`,
    },
    ...(requeueAfter !== undefined ? { requeueAfter } : {}),
  };
}
