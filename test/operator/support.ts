// An embedded cluster with the Cluster CAPI Operator: the test environment (API server, core handlers, local
// provider) plus the operator on its own bus and bridge, and — when asked — the HTTPS webhook server the operator
// registers. The operator's API calls go through the fault ledger, so tests can count its writes.
import { operatorHandler } from '../../functions/operator/index.ts';
import { type Host, startHost } from '../../local/host/host.ts';
import { startWebhookServer, type WebhookServer } from '../../local/webhook-server.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { ClusterOperator, ClusterOperatorStatusCondition } from '../../shared/api/openshift/clusteroperator.ts';
import { CONFIG_API_VERSION } from '../../shared/api/openshift/constants.ts';
import { openshiftKinds } from '../../shared/api/registry.ts';
import { InProcessBus } from '../../shared/bus/in-process.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { allCrds, type CapiEnv, connectionFor, eventually, startCapiEnv } from '../support/env.ts';
import { deliveryContext } from '../support/faults.ts';

export const RELEASE = '4.20.0-test';
export const OPERATOR_HANDLER = 'cluster-capi-operator';
export const CO_REF = { apiVersion: CONFIG_API_VERSION, kind: 'ClusterOperator', name: 'cluster-api' };

export interface OperatorEnv extends CapiEnv {
  operatorBus: InProcessBus;
  operatorHost: Host;
  webhook: WebhookServer | undefined;
  /** Writes the operator made (method and path), in order. */
  operatorWrites(): Array<{ method: string; path: string }>;
}

export function openshiftCrds(): unknown[] {
  return openshiftKinds.map((k) => toCrd(k));
}

export async function startOperatorEnv(
  o: { crds?: 'openshift' | 'all'; webhooks?: boolean; tokenRequestKubeconfig?: boolean } = {},
): Promise<OperatorEnv> {
  const env = await startCapiEnv({ crds: o.crds === 'all' ? allCrds() : openshiftCrds() });
  let webhook: WebhookServer | undefined;
  let operatorHost: Host | undefined;
  // One invocation at a time, as the real operator runs one leader (everything maps to one object anyway).
  const operatorBus = new InProcessBus({ concurrency: 1, maxAttempts: 50, backoff: { baseMs: 20, maxMs: 500 } });
  try {
    if (o.webhooks) webhook = await startWebhookServer({ kube: env.kube });
    const opKube = new KubeClient(env.ledger.transport(new HttpsTransport(connectionFor(env.api))));
    operatorHost = await startHost({
      kube: env.kube,
      bus: operatorBus,
      handlers: [
        operatorHandler({
          releaseVersion: RELEASE,
          ...(webhook ? { webhook: { url: webhook.url, caPem: webhook.caPem } } : {}),
          // The embedded server has one bearer token and no TokenRequest API; the operator is given that token.
          kubeconfig: o.tokenRequestKubeconfig
            ? { type: 'tokenRequest' }
            : { type: 'static', server: env.api.url, caPem: env.api.caPem, token: env.api.token },
        }),
      ],
      kubeFor: () => opKube,
      maxAttempts: 50,
      checkpoint: { namespace: 'default', name: 'capi-fn-operator-bridge' },
      bridgeOptions: { checkpointIntervalMs: 200, missingKindRetryMs: 200 },
      wrapDelivery: (handler, info, run) => deliveryContext.run({ handler, attempt: info.attempt, calls: 0 }, run),
    });
  } catch (e) {
    await operatorHost?.stop();
    await webhook?.stop();
    await operatorBus.close();
    await env.stop();
    throw e;
  }
  const host = operatorHost;
  return {
    ...env,
    operatorBus,
    operatorHost: host,
    webhook,
    operatorWrites: () =>
      env.ledger.writes.filter((w) => w.handler === OPERATOR_HANDLER).map((w) => ({ method: w.method, path: w.path })),
    async stop() {
      await host.stop();
      await operatorBus.close();
      await env.stop();
      await webhook?.stop();
    },
  };
}

export function condition(co: ClusterOperator | undefined, type: string): ClusterOperatorStatusCondition | undefined {
  return co?.status?.conditions?.find((c) => c.type === type);
}

/** The four standard conditions as `Type=Status`, for readable assertions. */
export function summary(co: ClusterOperator | undefined): string {
  return ['Available', 'Progressing', 'Degraded', 'Upgradeable']
    .map((t) => `${t}=${condition(co, t)?.status ?? '?'}`)
    .join(' ');
}

/** Waits for the ClusterOperator to satisfy `check`; the failure message shows its conditions. */
export async function waitForOperator(
  env: OperatorEnv,
  what: string,
  check: (co: ClusterOperator) => boolean,
  timeoutMs = 30_000,
): Promise<ClusterOperator> {
  let last: ClusterOperator | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = await env.kube.find<ClusterOperator>(CO_REF);
        return last && check(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\nClusterOperator conditions: ${JSON.stringify(last?.status?.conditions ?? [], null, 1)}`,
    );
  }
}

/** Both buses idle (short requeues included), so the system has converged. */
export async function settle(env: OperatorEnv): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await env.operatorBus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    await env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
  }
}
