// The neutral instance state → the infrastructure machine's status (pure): readiness, the InstanceReady
// condition, a terminal failure for an instance that went away behind our back (upstream's UpdateError),
// and whether to look again soon. Conditions are summarised into Ready as upstream providers do.
import type { ConditionSeverity } from '../../../shared/api/conditions.ts';
import { falseCondition, setCondition, summary, trueCondition } from '../../../shared/conditions/conditions.ts';
import type { ConditionValue, InfraMachineStatus } from './definition.ts';
import type { CloudInstance } from './port.ts';

export const INSTANCE_READY = 'InstanceReady';

export interface StateDecision {
  ready: boolean;
  condition: ConditionValue;
  /** Terminal for the machine: the core copies it to the Machine. */
  failure?: { reason: string; message: string };
  /** The instance can report addresses (upstream's "operational" states). */
  operational: boolean;
  /** Look again after this long (a transition is in progress); undefined when nothing is moving. */
  pollAfterMs?: number;
}

export function decideState(
  inst: CloudInstance,
  o: { noun: string; kind: string; transitionPollMs: number },
): StateDecision {
  const what = `${o.noun} ${inst.id}`;
  const poll = inst.pollAfterMs ?? o.transitionPollMs;
  const no = (reason: string, severity: ConditionSeverity, message: string): ConditionValue => ({
    status: 'False',
    reason,
    severity,
    message,
  });
  switch (inst.state) {
    case 'pending':
      return {
        ready: false,
        condition: no('InstanceProvisionStarted', 'Info', `${what} is ${inst.nativeState}`),
        operational: true,
        pollAfterMs: poll,
      };
    case 'running':
      return { ready: true, condition: { status: 'True' }, operational: true };
    case 'stopped':
      // Someone stopped it; starting it again brings the machine back, so this is not a failure.
      return {
        ready: false,
        condition: no(
          'InstanceStopped',
          'Error',
          `${what} is ${inst.nativeState}; start it again or delete the Machine`,
        ),
        operational: true,
        ...(inst.transitioning ? { pollAfterMs: poll } : {}),
      };
    case 'terminating':
      return {
        ready: false,
        condition: no('InstanceTerminated', 'Error', `${what} is ${inst.nativeState}`),
        operational: false,
        pollAfterMs: poll,
      };
    case 'gone': {
      const message = inst.failureMessage ?? `${what} is ${inst.nativeState} but the ${o.kind} is not being deleted`;
      return {
        ready: false,
        condition: no('InstanceTerminated', 'Error', message),
        failure: { reason: inst.failureReason ?? 'UpdateError', message },
        operational: false,
      };
    }
    default: {
      const message = inst.failureMessage ?? `${what} is in state ${JSON.stringify(inst.nativeState)}`;
      return {
        ready: false,
        condition: no('InstanceFailed', 'Error', message),
        failure: { reason: inst.failureReason ?? 'UpdateError', message },
        operational: false,
      };
    }
  }
}

/** Sets one condition and the Ready summary over InstanceReady and the provider's own conditions. */
export function setMachineCondition(
  s: InfraMachineStatus,
  type: string,
  c: ConditionValue,
  now: Date,
  summarised: string[],
): void {
  s.conditions = setCondition(
    s.conditions,
    c.status === 'True' ? trueCondition(type) : falseCondition(type, c.reason, c.severity, c.message),
    now,
  );
  s.conditions = setCondition(s.conditions, summary(s.conditions, [INSTANCE_READY, ...summarised]), now);
}

/** The oldest instance stands for the Machine when a lost race made several (ties: the smaller ID). */
export function pickInstance(
  instances: CloudInstance[],
  preferId?: string,
): { keep?: CloudInstance; extras: CloudInstance[] } {
  if (instances.length === 0) return { extras: [] };
  const sorted = [...instances].sort((a, b) => {
    if (preferId) {
      if (a.id === preferId) return -1;
      if (b.id === preferId) return 1;
    }
    const ta = a.createdAt ? Date.parse(a.createdAt) : Number.POSITIVE_INFINITY;
    const tb = b.createdAt ? Date.parse(b.createdAt) : Number.POSITIVE_INFINITY;
    return ta - tb || a.id.localeCompare(b.id);
  });
  return { keep: sorted[0]!, extras: sorted.slice(1) };
}

/**
 * After a create, which of the Machine's live instances stays: by the rule of `pickInstance`, so that this sweep and
 * any identity lookup running beside it keep the same one (two rules, each keeping its own, deleted both). The
 * create's reply is compared with the creation time its listed copy shows, else with when the create started (all it
 * made is at least that recent). A listed instance without a creation time never displaces the reply: it may be the
 * same instance under another name (vSphere lists a clone in flight by its VM name, the reply names its task).
 * The reply itself is what is kept when it stays: it carries what only the create knows (a task, Azure's operations).
 */
export function keepAfterCreate(
  reply: CloudInstance,
  listed: CloudInstance[],
  createStartedAt: Date,
): { keep: CloudInstance; extras: CloudInstance[] } {
  const copy = listed.find((i) => i.id === reply.id);
  const others = listed.filter((i) => i.id !== reply.id);
  const mine = { ...reply, createdAt: copy?.createdAt ?? reply.createdAt ?? createStartedAt.toISOString() };
  const { keep } = pickInstance([mine, ...others]);
  if (keep!.id === reply.id) return { keep: reply, extras: others };
  return { keep: keep!, extras: [reply, ...others.filter((i) => i.id !== keep!.id)] };
}
