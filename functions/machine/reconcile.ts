// One Machine reconcile step (capi-core-spec.md §3.4): finalizer, Cluster and pause, ownership,
// bootstrap, infrastructure, Node, then phase and conditions. Deletion is in reconcile-delete.ts.
import type { Cluster } from '../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION, ConditionTypes, Finalizers, Labels, Reasons } from '../../shared/api/capi/constants.ts';
import type { Machine, MachineStatus } from '../../shared/api/capi/machine.ts';
import type { Condition } from '../../shared/api/conditions.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import {
  falseCondition,
  mirror,
  nowTime,
  setCondition,
  setMetaCondition,
  summary,
  trueCondition,
} from '../../shared/conditions/conditions.ts';
import type { ObjectRef } from '../../shared/events/resource-event.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { recordEvent, regardingOf } from '../../shared/kube/events.ts';
import { nodeReadyCondition, summarizeNodeConditions } from '../../shared/reconcile/node-health.ts';
import {
  controllerOf,
  ensureOwnerRef,
  hasOwner,
  ownerRefTo,
  removeOwnerRefs,
} from '../../shared/reconcile/owner-refs.ts';
import { pausedState, setPausedCondition } from '../../shared/reconcile/paused.ts';
import {
  clone,
  hasFinalizer,
  isDeleting,
  updateIfChanged,
  updateStatusIfChanged,
  withFinalizer,
} from '../../shared/reconcile/writes.ts';
import type { HandlerContext, ReconcileResult } from '../../shared/runtime/handler.ts';
import {
  candidateNodeNames,
  findNodeByProviderID,
  getNode,
  NODE,
  PROVIDER_ID_HASH_LABEL,
  providerIdHash,
} from './node-lookup.ts';
import { type NodeLike, nodePatch } from './node-sync.ts';
import { controlledElsewhere, takenMessage } from './ownership.ts';
import { machinePhase } from './phase.ts';
import { reconcileMachineDelete } from './reconcile-delete.ts';

export const FIELD_MANAGER = 'capi-machine';
export const CONTROL_PLANE_NOT_SUPPORTED = 'ControlPlaneMachinesNotSupported';
const REQUEUE_MISSING_REF_MS = 30_000;
const COMPONENT = 'capi-fn-machine';

interface InfraObject extends KubeObject {
  spec?: { providerID?: string; failureDomain?: string };
  status?: {
    ready?: boolean;
    addresses?: MachineStatus['addresses'];
    failureReason?: string;
    failureMessage?: string;
    conditions?: Condition[];
    interruptible?: boolean;
  };
}

interface BootstrapConfig extends KubeObject {
  status?: {
    ready?: boolean;
    dataSecretName?: string;
    conditions?: Condition[];
    failureReason?: string;
    failureMessage?: string;
  };
}

export async function reconcileMachine(ref: ObjectRef, ctx: HandlerContext): Promise<ReconcileResult | undefined> {
  const { kube, clock } = ctx;
  let m = await kube.find<Machine>(ref);
  if (!m) return undefined;
  const now = clock.now();

  if (m.metadata.labels && Labels.controlPlane in m.metadata.labels && !isDeleting(m)) {
    // capi-fn manages compute machines only; the webhook refuses these, this covers pre-existing ones.
    const conds = setCondition(
      m.status?.conditions,
      falseCondition(
        'Ready',
        CONTROL_PLANE_NOT_SUPPORTED,
        'Error',
        `control-plane Machines are not managed by capi-fn; remove the ${Labels.controlPlane} label or manage this machine elsewhere`,
      ),
      now,
    );
    await updateStatusIfChanged(kube, m, { ...(m.status ?? {}), conditions: conds }, FIELD_MANAGER);
    return undefined;
  }

  if (!isDeleting(m) && !hasFinalizer(m, Finalizers.machine)) {
    m = await kube.update(withFinalizer(m, Finalizers.machine), { fieldManager: FIELD_MANAGER });
  }

  const cluster = await kube.find<Cluster>({
    apiVersion: CAPI_API_VERSION,
    kind: 'Cluster',
    namespace: m.metadata.namespace!,
    name: m.spec.clusterName,
  });
  if (!cluster && !isDeleting(m)) {
    throw new Error(
      `Cluster ${m.metadata.namespace}/${m.spec.clusterName} (spec.clusterName) not found; create it or fix spec.clusterName`,
    );
  }

  const paused = pausedState(cluster, m);
  const v1beta2 = {
    ...(m.status?.v1beta2 ?? {}),
    conditions: setPausedCondition(m.status?.v1beta2?.conditions, paused, m.metadata.generation, now),
  };
  if (paused.paused) {
    await updateStatusIfChanged(kube, m, { ...(m.status ?? {}), v1beta2 }, FIELD_MANAGER);
    return undefined;
  }

  if (cluster) m = await ensureOwnershipAndLabels(kube, m, cluster);

  if (isDeleting(m)) return reconcileMachineDelete(ctx, m, cluster, v1beta2);

  const status: MachineStatus = clone(m.status ?? {});
  status.v1beta2 = v1beta2;
  let requeueAfter: number | undefined;
  let specWant = clone(m);

  // ---- bootstrap (§3.4 step 2) ----
  const boot = await reconcileBootstrap(kube, m, cluster, status, now);
  if (boot.dataSecretName && !specWant.spec.bootstrap.dataSecretName)
    specWant.spec.bootstrap.dataSecretName = boot.dataSecretName;
  if (boot.requeueAfter) requeueAfter = boot.requeueAfter;

  // ---- infrastructure (§3.4 step 3) ----
  const infraRef = m.spec.infrastructureRef;
  const infraKey = {
    apiVersion: infraRef.apiVersion!,
    kind: infraRef.kind!,
    namespace: infraRef.namespace ?? m.metadata.namespace!,
    name: infraRef.name!,
  };
  let infra = await kube.find<InfraObject>(infraKey);
  const infraTaken = infra && controlledElsewhere(infra, m);
  if (infra && infraTaken) {
    // Someone else's infrastructure: never taken over, never read as this Machine's (upstream errors here).
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.infrastructureReady,
        Reasons.alreadyControlled,
        'Error',
        takenMessage(infraKey, infraTaken, 'spec.infrastructureRef'),
      ),
      now,
    );
    infra = undefined;
    requeueAfter = REQUEUE_MISSING_REF_MS;
  } else if (!infra) {
    if (status.infrastructureReady) {
      status.failureReason = Reasons.invalidConfiguration;
      status.failureMessage = `Machine infrastructure resource ${infraKey.kind} ${infraKey.namespace}/${infraKey.name} has been deleted after being ready`;
      status.conditions = setCondition(
        status.conditions,
        falseCondition(ConditionTypes.infrastructureReady, 'InfrastructureDeleted', 'Error', status.failureMessage),
        now,
      );
    } else {
      status.conditions = setCondition(
        status.conditions,
        falseCondition(
          ConditionTypes.infrastructureReady,
          Reasons.waitingForInfrastructure,
          'Info',
          `${infraKey.kind} ${infraKey.namespace}/${infraKey.name} not found yet`,
        ),
        now,
      );
      requeueAfter = REQUEUE_MISSING_REF_MS;
    }
  } else {
    infra = await ensureReferencedOwnership(kube, infra, m, cluster);
    if (infra.status?.failureReason) status.failureReason = infra.status.failureReason;
    if (infra.status?.failureMessage)
      status.failureMessage = `Failure detected from referenced resource ${infraKey.kind} ${infraKey.namespace}/${infraKey.name}: ${infra.status.failureMessage}`;
    status.conditions = setCondition(
      status.conditions,
      mirror(
        ConditionTypes.infrastructureReady,
        infra.status?.conditions,
        infra.status?.ready
          ? trueCondition(ConditionTypes.infrastructureReady)
          : falseCondition(ConditionTypes.infrastructureReady, Reasons.waitingForInfrastructure, 'Info'),
      ),
      now,
    );
    if (infra.status?.ready || status.infrastructureReady) {
      const providerID = infra.spec?.providerID;
      if (!providerID) {
        throw new Error(`${infraKey.kind} ${infraKey.namespace}/${infraKey.name} is ready but has no spec.providerID`);
      }
      specWant.spec.providerID = providerID;
      if (infra.spec?.failureDomain) specWant.spec.failureDomain = infra.spec.failureDomain;
      specWant.metadata.labels = {
        ...(specWant.metadata.labels ?? {}),
        [PROVIDER_ID_HASH_LABEL]: providerIdHash(providerID),
      };
      if (infra.status?.addresses) status.addresses = infra.status.addresses;
      status.infrastructureReady = true;
    }
  }

  m = await updateIfChanged(kube, m, specWant, FIELD_MANAGER);
  specWant = m;

  // ---- node (§3.5) ----
  await reconcileNode(ctx, m, status, infra, now);

  // ---- phase, Ready, observedGeneration ----
  const shown: Machine = { ...m, status };
  const phase = machinePhase(shown);
  if (status.phase !== phase) {
    status.phase = phase;
    status.lastUpdated = nowTime(now);
  }
  const readyInputs = [
    ConditionTypes.infrastructureReady,
    ConditionTypes.bootstrapReady,
    ConditionTypes.healthCheckSucceeded,
    ConditionTypes.ownerRemediated,
    ConditionTypes.drainingSucceeded,
  ];
  status.conditions = setCondition(
    status.conditions,
    summary(status.conditions, readyInputs, { stepCounter: !m.spec.providerID }),
    now,
  );
  status.observedGeneration = m.metadata.generation;
  // A spec write above (the providerID) moved the generation on: the Paused condition observed this one too, here
  // rather than in the next run (which that write's own event no longer starts).
  status.v1beta2 = {
    ...status.v1beta2,
    conditions: setPausedCondition(status.v1beta2?.conditions, paused, m.metadata.generation, now),
  };
  const written = await updateStatusIfChanged(kube, m, status, FIELD_MANAGER);
  // Upstream's Event once the nodeRef is recorded (machine_controller_noderef.go): the status write is the record.
  if (status.nodeRef && !m.status?.nodeRef)
    await recordEvent(
      kube,
      {
        regarding: regardingOf(written),
        type: 'Normal',
        reason: 'SuccessfulSetNodeRef',
        message: status.nodeRef.name ?? '',
        component: COMPONENT,
      },
      now,
    );
  return requeueAfter !== undefined ? { requeueAfter } : undefined;
}

/** Stand-alone Machines get a Cluster owner; every Machine carries the cluster-name label. */
async function ensureOwnershipAndLabels(kube: KubeClient, m: Machine, cluster: Cluster): Promise<Machine> {
  const want = clone(m);
  want.metadata.labels = { ...(want.metadata.labels ?? {}), [Labels.clusterName]: m.spec.clusterName };
  const l = m.metadata.labels ?? {};
  const standalone =
    !controllerOf(m) &&
    !hasOwner(m, 'cluster.x-k8s.io', 'Cluster') &&
    !l[Labels.setName] &&
    !l[Labels.poolName] &&
    !l[Labels.controlPlaneName];
  if (standalone) want.metadata.ownerReferences = ensureOwnerRef(want.metadata.ownerReferences, ownerRefTo(cluster));
  return updateIfChanged(kube, m, want, FIELD_MANAGER);
}

/**
 * The Machine becomes the controller of its InfraMachine/BootstrapConfig (the MachineSet's owner
 * reference is dropped), and the object gets the cluster-name label (§3.7). Callers first rule out an object
 * another controller holds (controlledElsewhere).
 */
async function ensureReferencedOwnership<T extends KubeObject>(
  kube: KubeClient,
  obj: T,
  m: Machine,
  cluster: Cluster | undefined,
): Promise<T> {
  const want = clone(obj);
  const refs = removeOwnerRefs(
    want.metadata.ownerReferences,
    (r) => r.kind === 'MachineSet' && r.apiVersion.startsWith('cluster.x-k8s.io/'),
  );
  want.metadata.ownerReferences = ensureOwnerRef(refs, ownerRefTo(m, { controller: true }));
  if (cluster) want.metadata.labels = { ...(want.metadata.labels ?? {}), [Labels.clusterName]: m.spec.clusterName };
  return updateIfChanged(kube, obj, want, FIELD_MANAGER);
}

async function reconcileBootstrap(
  kube: KubeClient,
  m: Machine,
  cluster: Cluster | undefined,
  status: MachineStatus,
  now: Date,
): Promise<{ dataSecretName?: string; requeueAfter?: number }> {
  if (m.spec.bootstrap.dataSecretName) {
    status.bootstrapReady = true;
    status.conditions = setCondition(status.conditions, trueCondition(ConditionTypes.bootstrapReady), now);
    return {};
  }
  const cfgRef = m.spec.bootstrap.configRef;
  if (!cfgRef?.name) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.bootstrapReady,
        Reasons.waitingForDataSecret,
        'Info',
        'spec.bootstrap has neither dataSecretName nor configRef',
      ),
      now,
    );
    return {};
  }
  const key = {
    apiVersion: cfgRef.apiVersion!,
    kind: cfgRef.kind!,
    namespace: cfgRef.namespace ?? m.metadata.namespace!,
    name: cfgRef.name,
  };
  let cfg = await kube.find<BootstrapConfig>(key);
  const taken = cfg && controlledElsewhere(cfg, m);
  if (taken) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.bootstrapReady,
        Reasons.alreadyControlled,
        'Error',
        takenMessage(key, taken, 'spec.bootstrap.configRef'),
      ),
      now,
    );
    return { requeueAfter: REQUEUE_MISSING_REF_MS };
  }
  if (!cfg) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(
        ConditionTypes.bootstrapReady,
        Reasons.waitingForDataSecret,
        'Info',
        `${key.kind} ${key.namespace}/${key.name} not found yet`,
      ),
      now,
    );
    return { requeueAfter: REQUEUE_MISSING_REF_MS };
  }
  cfg = await ensureReferencedOwnership(kube, cfg, m, cluster);
  if (cfg.status?.failureReason) status.failureReason = cfg.status.failureReason;
  if (cfg.status?.failureMessage) status.failureMessage = cfg.status.failureMessage;
  status.conditions = setCondition(
    status.conditions,
    mirror(
      ConditionTypes.bootstrapReady,
      cfg.status?.conditions,
      falseCondition(ConditionTypes.bootstrapReady, Reasons.waitingForDataSecret, 'Info'),
    ),
    now,
  );
  if (!cfg.status?.ready) return {};
  if (!cfg.status.dataSecretName)
    throw new Error(`${key.kind} ${key.namespace}/${key.name} is ready but has no status.dataSecretName`);
  status.bootstrapReady = true;
  return { dataSecretName: cfg.status.dataSecretName };
}

function waitingForNode(providerID: string): string {
  return `waiting for a Node with spec.providerID ${providerID}`;
}

async function reconcileNode(
  ctx: HandlerContext,
  m: Machine,
  status: MachineStatus,
  infra: InfraObject | undefined,
  now: Date,
): Promise<void> {
  const { kube, event } = ctx;
  const providerID = m.spec.providerID;
  const setNodeReady = (n: NodeLike | undefined, missing?: 'NodeDoesNotExist' | 'NodeDeleted') => {
    const conds = status.v1beta2?.conditions;
    const prev = conds?.find((c) => c.type === 'NodeReady');
    const next = nodeReadyCondition(n?.status, prev, m.metadata.generation, now, missing);
    status.v1beta2 = { ...(status.v1beta2 ?? {}), conditions: setMetaCondition(conds, next) };
  };
  if (!providerID) {
    setNodeReady(undefined, 'NodeDoesNotExist');
    status.conditions = setCondition(
      status.conditions,
      falseCondition(ConditionTypes.nodeHealthy, Reasons.waitingForNodeRef, 'Info'),
      now,
    );
    return;
  }
  let node: NodeLike | undefined;
  if (status.nodeRef?.name) {
    node = await getNode(kube, status.nodeRef.name);
  } else {
    // A full scan until a run has recorded that no Node had this providerID (the Node may have registered, and its
    // events found no Machine, before the providerID and its index label were written; a run that failed after
    // writing them must look again), and on a resync. After that record the Node's own event brings us here with
    // its name: the index label was written before the scan.
    const recorded = m.status?.conditions?.find((c) => c.type === ConditionTypes.nodeHealthy);
    const lookedFor = recorded?.reason === Reasons.nodeProvisioning && recorded.message === waitingForNode(providerID);
    const scan = !lookedFor || event.type === 'io.capifn.resource.resync';
    node = await findNodeByProviderID(kube, providerID, candidateNodeNames(m, event), scan);
  }
  if (!node) {
    setNodeReady(undefined, status.nodeRef ? 'NodeDeleted' : 'NodeDoesNotExist');
    if (status.nodeRef) {
      status.conditions = setCondition(
        status.conditions,
        falseCondition(
          ConditionTypes.nodeHealthy,
          Reasons.nodeNotFound,
          'Error',
          `Node ${status.nodeRef.name} not found`,
        ),
        now,
      );
    } else {
      status.conditions = setCondition(
        status.conditions,
        falseCondition(ConditionTypes.nodeHealthy, Reasons.nodeProvisioning, 'Warning', waitingForNode(providerID)),
        now,
      );
    }
    return;
  }
  if (!status.nodeRef) {
    status.nodeRef = { apiVersion: 'v1', kind: 'Node', name: node.metadata.name! };
    const uid = (node.metadata as { uid?: string }).uid;
    if (uid) status.nodeRef.uid = uid;
    ctx.log.info({ node: node.metadata.name }, 'set nodeRef');
  }
  if (node.status?.nodeInfo) status.nodeInfo = { ...node.status.nodeInfo };
  setNodeReady(node);

  const owner = controllerOf(m);
  const patch = nodePatch(
    m,
    node,
    owner ? { kind: owner.kind, name: owner.name } : undefined,
    infra?.status?.interruptible === true,
  );
  if (patch) {
    await kube.patch({ ...NODE, name: node.metadata.name! }, patch, {
      type: 'merge',
      resourceVersion: node.metadata.resourceVersion!,
      fieldManager: FIELD_MANAGER,
    });
  }

  if (!infra || infra.metadata.deletionTimestamp) {
    status.conditions = setCondition(
      status.conditions,
      falseCondition(ConditionTypes.nodeHealthy, Reasons.deleting, 'Info'),
      now,
    );
  } else {
    status.conditions = setCondition(status.conditions, summarizeNodeConditions(node.status?.conditions), now);
  }
}
