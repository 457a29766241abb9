// One MachineHealthCheck reconcile step (capi-core-spec.md §5.3): Cluster and pause, label and owner, the
// targets (selected Machines of the cluster, less paused and skip-remediation ones) and their Nodes, a verdict
// per target (targets.ts), whether remediation is allowed (remediation.ts), the conditions on each Machine —
// the owning MachineSet deletes what is marked `OwnerRemediated=False` and replaces it — or an external
// remediation request cloned from `remediationTemplate`, then status. It never deletes a Machine itself, and it
// comes back exactly when the earliest running timeout expires.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import { Annotations, CAPI_API_VERSION, ConditionTypes, Labels } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineHealthCheck } from '../../shared/api/capi/machinehealthcheck.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { getCondition, setCondition } from '../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../shared/kube/errors.ts';
import { recordEvent } from '../../shared/kube/events.ts';
import { matchesSelector } from '../../shared/kube/selectors.ts';
import { ensureOwnerRef, ownerRefTo } from '../../shared/reconcile/owner-refs.ts';
import { pausedState, setPausedCondition } from '../../shared/reconcile/paused.ts';
import { clone, updateIfChanged, updateStatusIfChanged } from '../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../shared/runtime/handler.ts';
import { allowance, remediationAllowedCondition, targetConditions } from './remediation.ts';
import { judge, type TargetNode, type Verdict } from './targets.ts';

export const FIELD_MANAGER = 'capi-machinehealthcheck';
const COMPONENT = 'capi-fn-machinehealthcheck';
const MACHINE = { apiVersion: CAPI_API_VERSION, kind: 'Machine' };
const NODE = { apiVersion: 'v1', kind: 'Node' };
/** Few targets: a GET per Node; more: one LIST of the Nodes. */
const NODE_GETS_MAX = 5;

/** The Machines an MHC looks after: its selector AND its cluster, less those paused or opted out. */
export function selectTargets(mhc: MachineHealthCheck, machines: Machine[]): Machine[] {
  return machines.filter((m) => {
    const a = m.metadata.annotations ?? {};
    return (
      m.metadata.labels?.[Labels.clusterName] === mhc.spec.clusterName &&
      matchesSelector(m.metadata.labels, mhc.spec.selector) &&
      !(Annotations.paused in a) &&
      !(Annotations.skipRemediation in a)
    );
  });
}

async function nodesOf(kube: KubeClient, targets: Machine[]): Promise<Map<string, TargetNode>> {
  const names = targets.map((m) => m.status?.nodeRef?.name).filter((n): n is string => Boolean(n));
  const out = new Map<string, TargetNode>();
  if (names.length > NODE_GETS_MAX) {
    for (const n of (await kube.listAll<KubeObject & TargetNode>(NODE)).items) out.set(n.metadata.name!, n);
    return out;
  }
  for (const name of names) {
    const n = await kube.find<KubeObject & TargetNode>({ ...NODE, name });
    if (n) out.set(name, n);
  }
  return out;
}

/** Writes the target's conditions (a 409 is re-read and recomputed once, then left to the next wake). */
async function markTarget(kube: KubeClient, m: Machine, conds: ReturnType<typeof targetConditions>, now: Date) {
  let cur = m;
  for (let attempt = 0; attempt < 2; attempt++) {
    const status = clone(cur.status ?? {});
    for (const c of conds) status.conditions = setCondition(status.conditions, c, now);
    try {
      return await updateStatusIfChanged(kube, cur, status, FIELD_MANAGER);
    } catch (e) {
      if (!isConflict(e)) throw e;
      const fresh = await kube.find<Machine>({ ...MACHINE, namespace: m.metadata.namespace!, name: m.metadata.name! });
      if (!fresh) return undefined;
      cur = fresh;
    }
  }
  return undefined;
}

/** The external remediation request of `machine`: `<template kind minus Template>` named like the Machine. */
function requestRef(mhc: MachineHealthCheck, machine: Machine) {
  const t = mhc.spec.remediationTemplate!;
  return {
    apiVersion: t.apiVersion!,
    kind: t.kind!.replace(/Template$/, ''),
    namespace: machine.metadata.namespace!,
    name: machine.metadata.name!,
  };
}

async function ensureRequest(kube: KubeClient, mhc: MachineHealthCheck, machine: Machine): Promise<void> {
  const t = mhc.spec.remediationTemplate!;
  const key = requestRef(mhc, machine);
  if (await kube.find(key)) return;
  const tpl = await kube.find<
    KubeObject & { spec?: { template?: { metadata?: KubeObject['metadata']; spec?: unknown } } }
  >({
    apiVersion: t.apiVersion!,
    kind: t.kind!,
    namespace: t.namespace || mhc.metadata.namespace!,
    name: t.name!,
  });
  if (!tpl)
    throw new Error(`spec.remediationTemplate: ${t.kind} ${t.namespace || mhc.metadata.namespace}/${t.name} not found`);
  const meta = tpl.spec?.template?.metadata ?? {};
  try {
    await kube.create(
      {
        apiVersion: key.apiVersion,
        kind: key.kind,
        metadata: {
          name: key.name,
          namespace: key.namespace,
          labels: { ...(meta.labels ?? {}), [Labels.clusterName]: mhc.spec.clusterName },
          annotations: {
            ...(meta.annotations ?? {}),
            [Annotations.clonedFromName]: t.name!,
            [Annotations.clonedFromGroupKind]: `${t.kind}.${t.apiVersion!.split('/')[0]}`,
          },
          ownerReferences: [ownerRefTo(machine)],
        },
        spec: tpl.spec?.template?.spec ?? {},
      } as KubeObject,
      { fieldManager: FIELD_MANAGER },
    );
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

export async function reconcileMachineHealthCheck(
  ref: ObjectRef,
  ctx: HandlerContext,
): Promise<ReconcileResult | undefined> {
  const { kube, clock, log } = ctx;
  let mhc = await kube.find<MachineHealthCheck>(ref);
  if (!mhc || mhc.metadata.deletionTimestamp) return undefined;
  const now = clock.now();
  const ns = mhc.metadata.namespace!;
  const cluster = await kube.find<Cluster>({
    apiVersion: CAPI_API_VERSION,
    kind: 'Cluster',
    namespace: ns,
    name: mhc.spec.clusterName,
  });
  if (!cluster)
    throw new Error(
      `Cluster ${ns}/${mhc.spec.clusterName} (spec.clusterName) not found; create it or fix spec.clusterName`,
    );

  const paused = pausedState(cluster, mhc);
  const v1beta2 = { ...(mhc.status?.v1beta2 ?? {}) };
  v1beta2.conditions = setPausedCondition(v1beta2.conditions, paused, mhc.metadata.generation, now);
  if (paused.paused) {
    await updateStatusIfChanged(kube, mhc, { ...(mhc.status ?? {}), v1beta2 }, FIELD_MANAGER);
    return undefined;
  }

  // As upstream: the cluster-name label and a (non-controller) Cluster owner, so the MHC goes with its Cluster.
  const want = clone(mhc);
  want.metadata.labels = { ...(want.metadata.labels ?? {}), [Labels.clusterName]: mhc.spec.clusterName };
  want.metadata.ownerReferences = ensureOwnerRef(want.metadata.ownerReferences, ownerRefTo(cluster));
  mhc = await updateIfChanged(kube, mhc, want, FIELD_MANAGER);

  const listed = await kube.listAll<Machine>(MACHINE, {
    namespace: ns,
    labelSelector: `${Labels.clusterName}=${mhc.spec.clusterName}`,
  });
  const targets = selectTargets(mhc, listed.items);
  const nodes = await nodesOf(kube, targets);
  const verdicts = new Map<string, Verdict>();
  for (const m of targets) {
    const nodeName = m.status?.nodeRef?.name;
    const node = nodeName ? (nodes.get(nodeName) ?? 'missing') : undefined;
    verdicts.set(m.metadata.name!, judge(m, node, cluster.status ?? {}, mhc.spec, now));
  }
  const healthy = [...verdicts.values()].filter((v) => v.kind === 'healthy').length;
  const allow = allowance(mhc.spec, targets.length, healthy);
  const external = Boolean(mhc.spec.remediationTemplate?.name && mhc.spec.remediationTemplate.kind);
  const wasAllowed = getCondition(mhc.status?.conditions, ConditionTypes.remediationAllowed)?.status !== 'False';

  for (const m of targets) {
    const v = verdicts.get(m.metadata.name!)!;
    const deleting = Boolean(m.metadata.deletionTimestamp);
    const before = getCondition(m.status?.conditions, ConditionTypes.healthCheckSucceeded);
    const conds = targetConditions(v, m.status?.conditions, { allowed: allow.allowed, external, deleting });
    if (conds.length) await markTarget(kube, m, conds, now);
    const regarding = { ...MACHINE, namespace: ns, name: m.metadata.name!, uid: m.metadata.uid };
    if (v.kind === 'unhealthy' && before?.status !== 'False') {
      log.info({ machine: m.metadata.name, reason: v.reason }, 'machine marked unhealthy');
      await recordEvent(
        kube,
        {
          regarding,
          type: 'Normal',
          reason: 'MachineMarkedUnhealthy',
          message: `Machine ${ns}/${m.metadata.name} has been marked as unhealthy by ${ns}/${mhc.metadata.name}: ${v.message}`,
          component: COMPONENT,
        },
        now,
      );
    }
    if (!external || !allow.allowed) continue;
    try {
      if (v.kind === 'unhealthy' && !deleting) await ensureRequest(kube, mhc, m);
      else if (v.kind === 'healthy')
        await kube.delete(requestRef(mhc, m)).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
    } catch (e) {
      log.warn({ machine: m.metadata.name, err: (e as Error).message }, 'external remediation request failed');
      await recordEvent(
        kube,
        {
          regarding,
          type: 'Warning',
          reason: 'ExternalRemediationRequestCreationFailed',
          message: (e as Error).message,
          component: COMPONENT,
        },
        now,
      );
    }
  }
  if (!allow.allowed && wasAllowed) {
    await recordEvent(
      kube,
      {
        regarding: {
          apiVersion: mhc.apiVersion!,
          kind: mhc.kind!,
          namespace: ns,
          name: mhc.metadata.name!,
          uid: mhc.metadata.uid,
        },
        type: 'Warning',
        reason: 'RemediationRestricted',
        message: allow.message ?? '',
        component: COMPONENT,
      },
      now,
    );
  }

  const status = clone(mhc.status ?? {});
  status.expectedMachines = targets.length;
  status.currentHealthy = healthy;
  status.remediationsAllowed = allow.remediationsAllowed;
  status.targets = targets.map((m) => m.metadata.name!).sort();
  status.observedGeneration = mhc.metadata.generation;
  status.conditions = setCondition(status.conditions, remediationAllowedCondition(allow), now);
  status.v1beta2 = v1beta2;
  await updateStatusIfChanged(kube, mhc, status, FIELD_MANAGER);

  // Exactly when the earliest running timeout expires (events about Machines and Nodes wake it sooner).
  const next = Math.min(
    ...[...verdicts.values()].map((v) => (v.kind !== 'unhealthy' && v.recheckAt ? v.recheckAt.getTime() : Infinity)),
  );
  return Number.isFinite(next) ? { requeueAfter: Math.max(1_000, next - now.getTime()) } : undefined;
}
