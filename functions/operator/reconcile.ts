// One invocation of the Cluster CAPI Operator: read the FeatureGate and the Infrastructure (every time — the
// gates and the platform are never cached), run the steps the state calls for, and report through the
// ClusterOperator `cluster-api`, writing its status only when it changed.
import type { ClusterOperator } from '../../shared/api/openshift/clusteroperator.ts';
import {
  CLUSTER_OPERATOR_NAME,
  CLUSTER_SINGLETON_NAME,
  CONFIG_API_VERSION,
  type PlatformProvider,
} from '../../shared/api/openshift/constants.ts';
import type { FeatureGate } from '../../shared/api/openshift/featuregate.ts';
import type { Infrastructure } from '../../shared/api/openshift/infrastructure.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import type { HandlerContext, ReconcileResult } from '../../shared/runtime/handler.ts';
import { applyInstaller } from './apply-installer.ts';
import { ensureCluster } from './ensure-cluster.ts';
import { ensureInfraCluster } from './ensure-infra-cluster.ts';
import { decideGate } from './gate.ts';
import { createIfAbsent, runStep, updateStatusFresh } from './io.ts';
import type { KubeconfigSource } from './kubeconfig.ts';
import { detectPlatform } from './platform.ts';
import { computeStatus, type OperatorState, type StepName, type StepOutcome, statusChanged } from './status.ts';
import { syncKubeconfig } from './sync-kubeconfig.ts';
import { syncUserData } from './sync-user-data.ts';
import type { WebhookEndpoint } from './webhook-config.ts';

export interface OperatorOptions {
  /** Where the webhook function answers; without it the installer registers no webhook configurations. */
  webhook?: WebhookEndpoint;
  /** Which credentials `<infraName>-kubeconfig` carries (default: a TokenRequest token). */
  kubeconfig?: KubeconfigSource;
  /** Reported in `status.versions` and the Available message (env RELEASE_VERSION, as the real operator). */
  releaseVersion: string;
}

export const CLUSTER_OPERATOR_REF = {
  apiVersion: CONFIG_API_VERSION,
  kind: 'ClusterOperator',
  name: CLUSTER_OPERATOR_NAME,
} as const;

/** While something is pending or failing, look again after this long even if no event arrives. */
export const RETRY_PENDING_MS = 15_000;

async function ensureClusterOperator(kube: KubeClient): Promise<ClusterOperator> {
  return (
    await createIfAbsent<ClusterOperator>(kube, {
      apiVersion: CONFIG_API_VERSION,
      kind: 'ClusterOperator',
      metadata: { name: CLUSTER_OPERATOR_NAME },
      spec: {},
    })
  ).obj;
}

interface ActiveResult {
  steps: Record<StepName, StepOutcome>;
  requeueAfter: number | undefined;
}

async function runActive(
  ctx: HandlerContext,
  opts: OperatorOptions,
  provider: PlatformProvider,
  infra: Infrastructure,
  infrastructureName: string,
): Promise<ActiveResult> {
  const { kube, clock, log } = ctx;
  let tokenRequeue: number | undefined;
  const installer = await runStep(async () => {
    const r = await applyInstaller(kube, provider, opts.webhook, clock.now());
    if (r.applied.length) log.info({ applied: r.applied }, 'installer applied objects');
    tokenRequeue = r.requeueAfter;
    return r.outcome;
  });
  let infraClusterExists = false;
  let kubeconfigRequeue: number | undefined;
  const blocked: StepOutcome = { state: 'pending', message: 'waiting for the installer' };
  const installed = installer.state === 'done';
  const infraCluster = installed
    ? await runStep(async () => {
        const r = await ensureInfraCluster(kube, provider, infra, infrastructureName);
        infraClusterExists = r.infraCluster !== undefined;
        return r.outcome;
      })
    : blocked;
  const coreCluster = installed
    ? await runStep(() => ensureCluster(kube, clock, provider, infra, infrastructureName, infraClusterExists))
    : blocked;
  const secretSync = await runStep(() => syncUserData(kube));
  const kubeconfig = await runStep(async () => {
    const r = await syncKubeconfig(kube, clock, opts.kubeconfig ?? { type: 'tokenRequest' }, infrastructureName);
    kubeconfigRequeue = r.requeueAfter;
    return r.outcome;
  });
  const steps = { installer, infraCluster, coreCluster, secretSync, kubeconfig };
  const waiting = Object.values(steps).filter((s) => s.state !== 'done');
  let requeueAfter =
    kubeconfigRequeue === undefined || tokenRequeue === undefined
      ? (kubeconfigRequeue ?? tokenRequeue)
      : Math.min(kubeconfigRequeue, tokenRequeue);
  for (const s of waiting) {
    const retry = s.state === 'pending' && s.retryAfterMs !== undefined ? s.retryAfterMs : RETRY_PENDING_MS;
    requeueAfter = requeueAfter === undefined ? retry : Math.min(requeueAfter, retry);
  }
  return { steps, requeueAfter };
}

/** The whole operator; the reconciled ref is always ClusterOperator `cluster-api` (every watch maps to it). */
export async function reconcileOperator(
  opts: OperatorOptions,
  ctx: HandlerContext,
): Promise<ReconcileResult | undefined> {
  const { kube, clock } = ctx;
  const [fg, infra] = await Promise.all([
    kube.find<FeatureGate>({ apiVersion: CONFIG_API_VERSION, kind: 'FeatureGate', name: CLUSTER_SINGLETON_NAME }),
    kube.find<Infrastructure>({ apiVersion: CONFIG_API_VERSION, kind: 'Infrastructure', name: CLUSTER_SINGLETON_NAME }),
  ]);
  await ensureClusterOperator(kube);
  const gate = decideGate(fg);
  let state: OperatorState;
  let provider: PlatformProvider | undefined;
  let requeueAfter: number | undefined;
  if (!gate.enabled) {
    state = { mode: 'disabled', gate };
  } else {
    const platform = detectPlatform(infra);
    if (!platform.supported || !infra) {
      const reason = platform.supported ? 'Infrastructure/cluster does not exist' : platform.reason;
      // The ClusterOperator carries the real operator's fixed message; the reason goes to the log.
      ctx.log.info({ platform: platform.type, reason }, 'Cluster API not available on this platform');
      state = { mode: 'unsupported', gate, platformType: platform.type, reason };
    } else {
      provider = platform.provider;
      const r = await runActive(ctx, opts, platform.provider, infra, platform.infrastructureName);
      state = { mode: 'active', gate, steps: r.steps };
      requeueAfter = r.requeueAfter;
    }
  }
  await updateStatusFresh<ClusterOperator>(kube, CLUSTER_OPERATOR_REF, (co) => {
    const next = computeStatus({
      state,
      provider,
      releaseVersion: opts.releaseVersion,
      previous: co.status,
      now: clock.now(),
    });
    return statusChanged(co.status, next) ? next : undefined;
  });
  return requeueAfter !== undefined ? { requeueAfter } : undefined;
}
