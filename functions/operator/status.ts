// The ClusterOperator `cluster-api` status (openshift-capi.md §1.7): the four standard conditions, one
// Available/Degraded pair per step, versions and related objects — computed from what this invocation found, with
// config/v1 transition semantics (lastTransitionTime moves only when the status flips).
import { INFRA_GROUP } from '../../shared/api/capi/constants.ts';
import type {
  ClusterOperatorStatus,
  ClusterOperatorStatusCondition,
  RelatedObject,
} from '../../shared/api/openshift/clusteroperator.ts';
import {
  CLUSTER_OPERATOR_NAME,
  CONFIG_GROUP,
  Namespaces,
  type PlatformProvider,
  ClusterOperatorReasons as R,
  ClusterOperatorConditionTypes as T,
  UNSUPPORTED_PLATFORM_MESSAGE,
} from '../../shared/api/openshift/constants.ts';
import { nowTime } from '../../shared/conditions/conditions.ts';
import { deepEqual } from '../../shared/reconcile/equal.ts';
import type { GateDecision } from './gate.ts';
import { kindNamesToInstall } from './platform.ts';
import { WEBHOOK_CONFIGURATION_NAME } from './webhook-config.ts';

export type StepName = 'installer' | 'infraCluster' | 'coreCluster' | 'secretSync' | 'kubeconfig';

export type StepOutcome =
  | { state: 'done'; message?: string }
  /** Waiting for something outside the operator (an input, another object); not an error. */
  | { state: 'pending'; message: string; retryAfterMs?: number }
  | { state: 'failed'; message: string };

/** Condition types per step; the first three pairs are the real operator's, the last two capi-fn's. */
export const STEP_CONDITIONS: Record<StepName, { available: string; degraded: string }> = {
  installer: { available: T.capiInstallerControllerAvailable, degraded: T.capiInstallerControllerDegraded },
  infraCluster: { available: T.infraClusterControllerAvailable, degraded: T.infraClusterControllerDegraded },
  coreCluster: { available: 'CoreClusterControllerAvailable', degraded: 'CoreClusterControllerDegraded' },
  secretSync: { available: T.secretSyncControllerAvailable, degraded: T.secretSyncControllerDegraded },
  kubeconfig: { available: 'KubeconfigControllerAvailable', degraded: 'KubeconfigControllerDegraded' },
};
const STEP_ORDER: StepName[] = ['installer', 'infraCluster', 'coreCluster', 'secretSync', 'kubeconfig'];

/** Reason of Available on a cluster whose feature set leaves the Cluster API off (capi-fn: the CO always exists). */
export const NOT_ENABLED_REASON = 'NotEnabled';
/** Reason of Upgradeable=False under a *NoUpgrade feature set (the FeatureGate's own reason for the same fact). */
export const NOT_UPGRADEABLE_REASON = 'FeatureSetNotUpgradeable';
/** Reason of a step still waiting for something. */
export const WAITING_REASON = R.syncingResources;

export type OperatorState =
  | { mode: 'disabled'; gate: GateDecision }
  | { mode: 'unsupported'; gate: GateDecision; platformType: string; reason: string }
  | { mode: 'active'; gate: GateDecision; steps: Record<StepName, StepOutcome> };

type Input = Omit<ClusterOperatorStatusCondition, 'lastTransitionTime'>;

const OWNED_TYPES = new Set<string>([
  T.available,
  T.progressing,
  T.degraded,
  T.upgradeable,
  ...Object.values(STEP_CONDITIONS).flatMap((s) => [s.available, s.degraded]),
]);

function cond(type: string, status: 'True' | 'False', reason: string, message?: string): Input {
  return { type, status, reason, ...(message ? { message } : {}) };
}

function upgradeable(gate: GateDecision, degraded: boolean): Input {
  if (gate.noUpgrade) {
    return cond(
      T.upgradeable,
      'False',
      NOT_UPGRADEABLE_REASON,
      `the ${gate.featureSet} feature set cannot be undone and blocks minor-version updates`,
    );
  }
  return degraded ? cond(T.upgradeable, 'False', R.syncingFailed) : cond(T.upgradeable, 'True', R.asExpected);
}

function desiredConditions(state: OperatorState, version: string, previous: ClusterOperatorStatusCondition[]): Input[] {
  if (state.mode === 'disabled') {
    return [
      cond(T.available, 'True', NOT_ENABLED_REASON, state.gate.message),
      cond(T.progressing, 'False', R.asExpected),
      cond(T.degraded, 'False', R.asExpected),
      upgradeable(state.gate, false),
    ];
  }
  if (state.mode === 'unsupported') {
    return [
      cond(T.available, 'True', R.asExpected, UNSUPPORTED_PLATFORM_MESSAGE),
      cond(T.progressing, 'False', R.asExpected),
      cond(T.degraded, 'False', R.asExpected),
      upgradeable(state.gate, false),
    ];
  }
  const failed = STEP_ORDER.filter((s) => state.steps[s].state === 'failed');
  const pending = STEP_ORDER.filter((s) => state.steps[s].state === 'pending');
  const installer = state.steps.installer;
  const prevAvailable = previous.find((c) => c.type === T.available);
  let available: Input;
  if (installer.state === 'done') {
    available = cond(T.available, 'True', R.asExpected, `Cluster CAPI Operator is available at ${version}`);
  } else if (prevAvailable && prevAvailable.reason !== NOT_ENABLED_REASON) {
    // As the real "Degraded write": a failing resync leaves Available as it was.
    const { lastTransitionTime: _t, ...rest } = prevAvailable;
    available = rest;
  } else {
    available = cond(T.available, 'False', R.initializing, `installing the Cluster API: ${installer.message}`);
  }
  const out: Input[] = [
    available,
    pending.length
      ? cond(
          T.progressing,
          'True',
          R.syncingResources,
          pending.map((s) => `${STEP_CONDITIONS[s].available}: ${state.steps[s].message ?? ''}`).join('; '),
        )
      : cond(T.progressing, 'False', R.asExpected),
    failed.length
      ? cond(
          T.degraded,
          'True',
          R.syncingFailed,
          `Failed to resync for operator: ${version} because ${failed.map((s) => state.steps[s].message).join('; ')}`,
        )
      : cond(T.degraded, 'False', R.asExpected),
    upgradeable(state.gate, failed.length > 0),
  ];
  for (const s of STEP_ORDER) {
    const o = state.steps[s];
    const names = STEP_CONDITIONS[s];
    if (o.state === 'done') {
      out.push(cond(names.available, 'True', R.asExpected, o.message), cond(names.degraded, 'False', R.asExpected));
    } else if (o.state === 'pending') {
      out.push(cond(names.available, 'False', WAITING_REASON, o.message), cond(names.degraded, 'False', R.asExpected));
    } else {
      out.push(
        cond(names.available, 'False', R.syncingFailed, o.message),
        cond(names.degraded, 'True', R.syncingFailed, o.message),
      );
    }
  }
  return out;
}

/**
 * The conditions to store: the computed ones, each keeping its previous lastTransitionTime unless its status
 * changed, followed by any condition another writer added. Owned types no longer computed (a step's pair after the
 * platform became unsupported) are dropped.
 */
export function mergeConditions(
  previous: ClusterOperatorStatusCondition[],
  desired: Input[],
  now: Date,
): ClusterOperatorStatusCondition[] {
  const out = desired.map((d): ClusterOperatorStatusCondition => {
    const prev = previous.find((p) => p.type === d.type);
    const time = prev && prev.status === d.status ? prev.lastTransitionTime : nowTime(now);
    return { ...d, lastTransitionTime: time };
  });
  const computed = new Set(desired.map((d) => d.type));
  for (const p of previous) if (!OWNED_TYPES.has(p.type) && !computed.has(p.type)) out.push(p);
  return out;
}

export function relatedObjects(state: OperatorState, provider: PlatformProvider | undefined): RelatedObject[] {
  const out: RelatedObject[] = [
    { group: '', resource: 'namespaces', name: Namespaces.clusterAPI },
    { group: CONFIG_GROUP, resource: 'clusteroperators', name: CLUSTER_OPERATOR_NAME },
  ];
  if (state.mode !== 'active' || !provider) return out;
  for (const k of kindNamesToInstall(provider.provider)) {
    if (k.core || k.group === INFRA_GROUP)
      out.push({ group: k.group, resource: k.plural, namespace: Namespaces.clusterAPI, name: '' });
  }
  if (state.steps.installer.state === 'done') {
    for (const resource of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      out.push({ group: 'admissionregistration.k8s.io', resource, name: WEBHOOK_CONFIGURATION_NAME });
    }
  }
  return out;
}

export interface StatusInput {
  state: OperatorState;
  provider: PlatformProvider | undefined;
  releaseVersion: string;
  previous: ClusterOperatorStatus | undefined;
  now: Date;
}

/** The whole status to store; `extension` (operator-specific data another writer may own) is kept as it was. */
export function computeStatus(i: StatusInput): ClusterOperatorStatus {
  const previous = i.previous?.conditions ?? [];
  const conditions = mergeConditions(previous, desiredConditions(i.state, i.releaseVersion, previous), i.now);
  return {
    conditions,
    versions: [{ name: 'operator', version: i.releaseVersion }],
    relatedObjects: relatedObjects(i.state, i.provider),
    ...(i.previous?.extension !== undefined ? { extension: i.previous.extension } : {}),
  };
}

/** Compared the way the real operator does: type, status, reason and message of each condition, plus the rest. */
export function statusChanged(current: ClusterOperatorStatus | undefined, next: ClusterOperatorStatus): boolean {
  const key = (cs: ClusterOperatorStatusCondition[] | undefined) =>
    JSON.stringify((cs ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']));
  if (key(current?.conditions) !== key(next.conditions)) return true;
  return (
    !deepEqual(current?.versions ?? [], next.versions ?? []) ||
    !deepEqual(current?.relatedObjects ?? [], next.relatedObjects ?? [])
  );
}
