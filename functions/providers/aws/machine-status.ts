// AWSMachine status conditions: InstanceReady and SecurityGroupsReady, summarised into Ready
// (v1beta1 conditions, as CAPA reports them).
import type { ConditionSeverity } from '../../../shared/api/conditions.ts';
import type { AWSMachine } from '../../../shared/api/providers/aws.ts';
import { falseCondition, setCondition, summary, trueCondition } from '../../../shared/conditions/conditions.ts';
import { INSTANCE_READY } from './instance-status.ts';

export type AWSMachineStatus = NonNullable<AWSMachine['status']>;
export const SECURITY_GROUPS_READY = 'SecurityGroupsReady';

export type ConditionValue =
  | { status: 'True' }
  | { status: 'False'; reason: string; severity: ConditionSeverity; message: string };

export function setMachineCondition(s: AWSMachineStatus, type: string, c: ConditionValue, now: Date): void {
  s.conditions = setCondition(
    s.conditions,
    c.status === 'True' ? trueCondition(type) : falseCondition(type, c.reason, c.severity, c.message),
    now,
  );
  s.conditions = setCondition(s.conditions, summary(s.conditions, [INSTANCE_READY, SECURITY_GROUPS_READY]), now);
}

/** Not launched (yet): InstanceReady=False with the reason, and ready=false. */
export function notLaunched(
  s: AWSMachineStatus,
  reason: string,
  severity: ConditionSeverity,
  message: string,
  now: Date,
): void {
  s.ready = false;
  setMachineCondition(s, INSTANCE_READY, { status: 'False', reason, severity, message }, now);
}
