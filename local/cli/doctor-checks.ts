// The checks `capi-fn doctor` runs, each with the fix to apply when it fails.
import { providerForPlatformType, providerNamed, providers } from '../../functions/providers/index.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { ProviderName } from '../../shared/api/kind.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { coreKinds, providerKinds } from '../../shared/api/registry.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isForbidden, isNotFound, isUnauthorized } from '../../shared/kube/errors.ts';
import { deepEqual, pruneEmpty } from '../../shared/reconcile/equal.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

interface Infrastructure extends KubeObject {
  status?: { infrastructureName?: string; platformStatus?: { type?: string } };
}

export async function runChecks(kube: KubeClient, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (r: CheckResult) => results.push(r);

  // 1. reachability and auth
  try {
    const v = await kube.json<{ gitVersion?: string }>({ method: 'GET', path: '/version' });
    await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { limit: 1 });
    add({
      name: 'API server',
      status: 'ok',
      detail: `${kube.transport.server} (${v.gitVersion ?? 'unknown version'}), authenticated`,
    });
  } catch (e) {
    const fix = isUnauthorized(e)
      ? 'the credentials in the kubeconfig were rejected: refresh the token (for the embedded default, use DIR/kubeconfig written by `capi-fn up`)'
      : isForbidden(e)
        ? 'the user may not list namespaces: grant it the capi-fn ClusterRole (infra/rbac)'
        : 'start the API server (`npm start`) or point --kubeconfig/--context at a running cluster';
    add({ name: 'API server', status: 'fail', detail: (e as Error).message, fix });
    return results;
  }

  // 2. platform and feature set (OpenShift config objects, when served)
  let provider: ProviderName | undefined;
  try {
    const infra = await kube.get<Infrastructure>({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Infrastructure',
      name: 'cluster',
    });
    const type = infra.status?.platformStatus?.type ?? '';
    provider = providerForPlatformType(type)?.name;
    add(
      provider
        ? {
            name: 'platform',
            status: 'ok',
            detail: `${type} (infrastructureName ${infra.status?.infrastructureName ?? '?'}), provider ${provider}`,
          }
        : {
            name: 'platform',
            status: 'warn',
            detail: `"${type}" is not a platform Cluster API supports here`,
            fix: `Cluster API machine management is available on ${providers.map((p) => p.platformType).join(', ')}`,
          },
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
    add({
      name: 'platform',
      status: 'warn',
      detail: 'no Infrastructure "cluster" (not an OpenShift cluster, or config.openshift.io not served)',
      fix: 'on OpenShift it always exists; on other clusters capi-fn works without it',
    });
  }
  try {
    const fg = await kube.get<KubeObject & { spec?: { featureSet?: string } }>({
      apiVersion: 'config.openshift.io/v1',
      kind: 'FeatureGate',
      name: 'cluster',
    });
    const set = fg.spec?.featureSet ?? '';
    add(
      set === 'TechPreviewNoUpgrade' || set === 'CustomNoUpgrade'
        ? { name: 'feature set', status: 'ok', detail: set }
        : {
            name: 'feature set',
            status: 'warn',
            detail: `"${set || 'Default'}": the Cluster CAPI Operator installs nothing`,
            fix: 'set FeatureGate cluster spec.featureSet to TechPreviewNoUpgrade (irreversible; blocks minor upgrades)',
          },
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }

  // 3. CRDs installed and current
  const kinds = [...coreKinds, ...(provider ? providerKinds[provider] : [])];
  const missing: string[] = [];
  const stale: string[] = [];
  for (const def of kinds) {
    const want = toCrd(def) as { metadata: { name: string }; spec: Record<string, unknown> };
    try {
      const have = await kube.get<KubeObject & { spec: Record<string, unknown> }>({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: want.metadata.name,
      });
      const versions = (have.spec.versions as Array<Record<string, unknown>>).map((v) =>
        pruneEmpty({ name: v.name, schema: v.schema, subresources: v.subresources }),
      );
      const wanted = (want.spec.versions as Array<Record<string, unknown>>).map((v) =>
        pruneEmpty({ name: v.name, schema: v.schema, subresources: v.subresources }),
      );
      if (!deepEqual(versions, wanted)) stale.push(want.metadata.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      missing.push(want.metadata.name);
    }
  }
  if (missing.length)
    add({
      name: 'CRDs',
      status: 'fail',
      detail: `missing: ${missing.join(', ')}`,
      fix: 'kubectl apply -f infra/crds/ (or enable TechPreviewNoUpgrade so the operator installs them)',
    });
  else if (stale.length)
    add({
      name: 'CRDs',
      status: 'warn',
      detail: `differ from this version of capi-fn: ${stale.join(', ')}`,
      fix: 'kubectl apply --server-side -f infra/crds/',
    });
  else add({ name: 'CRDs', status: 'ok', detail: `${kinds.length} installed and current` });

  // 4. webhooks registered and reachable
  try {
    const vwc = await kube.listAll({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
    });
    const ours = vwc.items.filter(
      (w) => w.metadata.name?.includes('capi-fn') || w.metadata.name?.includes('cluster-api'),
    );
    if (!ours.length) {
      add({
        name: 'webhooks',
        status: 'warn',
        detail: 'no capi-fn validating webhook configuration: invalid objects are not rejected at admission',
        fix: 'the operator registers them when the feature set is TechPreviewNoUpgrade',
      });
    } else {
      const urls = ours.flatMap((w) =>
        ((w as unknown as { webhooks?: Array<{ clientConfig?: { url?: string } }> }).webhooks ?? [])
          .map((h) => h.clientConfig?.url)
          .filter((u): u is string => Boolean(u)),
      );
      const unreachable: string[] = [];
      for (const url of [...new Set(urls)]) {
        try {
          await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
        } catch (e) {
          // A self-signed serving certificate still proves the endpoint is up.
          if (!String((e as Error).cause ?? e).match(/certificate|self.signed|CERT/i))
            unreachable.push(`${url} (${(e as Error).message})`);
        }
      }
      add(
        unreachable.length
          ? {
              name: 'webhooks',
              status: 'fail',
              detail: `not reachable: ${unreachable.join(', ')}`,
              fix: 'start the webhook function (capi-fn up runs it) or fix clientConfig.url',
            }
          : {
              name: 'webhooks',
              status: 'ok',
              detail: `${ours.length} configuration(s), ${urls.length} endpoint(s) answering`,
            },
      );
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }

  // 5. provider credentials present (each provider's own check of its standard chain)
  const check = provider ? providerNamed(provider).credentialCheck : undefined;
  if (check) add(check(env));
  const endpoint = provider ? await providerNamed(provider).endpointCheck?.(env) : undefined;
  if (endpoint) add(endpoint);
  if (provider) for (const c of (await providerNamed(provider).templateChecks?.(env, kube)) ?? []) add(c);

  // 6. the ClusterOperator, when an operator reports through one
  try {
    const co = await kube.get<
      KubeObject & { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }
    >({ apiVersion: 'config.openshift.io/v1', kind: 'ClusterOperator', name: 'cluster-api' });
    const c = (t: string) => co.status?.conditions?.find((x) => x.type === t);
    const available = c('Available');
    const degraded = c('Degraded');
    if (degraded?.status === 'True')
      add({
        name: 'ClusterOperator cluster-api',
        status: 'fail',
        detail: `Degraded: ${degraded.message ?? ''}`,
        fix: 'read the message; `capi-fn up` logs are in DIR/capi-fn.log',
      });
    else
      add({
        name: 'ClusterOperator cluster-api',
        status: available?.status === 'True' ? 'ok' : 'warn',
        detail: `Available=${available?.status ?? 'Unknown'}${available?.message ? `: ${available.message}` : ''}`,
      });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return results;
}
