// The replica decision (capi-core-spec.md §2.6) as a pure function. Scale-ups go through an intent
// recorded on the MachineSet before any Machine is created (DESIGN.md rule 3): concurrent or
// repeated invocations complete the one recorded intent instead of each creating their own.
import type { DeletePolicy } from '../../shared/api/capi/constants.ts';
import type { Machine } from '../../shared/api/capi/machine.ts';
import { machineName } from '../../shared/reconcile/names.ts';
import { machinesToDelete } from './deletion-order.ts';

/** Annotation holding the names of Machines the MachineSet has decided to create. */
export const CREATE_INTENT_ANNOTATION = 'machineset.capi-fn.io/create-intent';
/** Annotation naming the Machines of the last scale-down, written (with a resourceVersion precondition) before them. */
export const SCALE_DOWN_ANNOTATION = 'machineset.capi-fn.io/scale-down';

export function parseIntent(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const v = JSON.parse(value) as { names?: unknown };
    return Array.isArray(v.names) ? v.names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * `claims` counts the invocations that set out to complete the intent: each claim is a write with the
 * resourceVersion it read, so only one that saw the intent as it is now can create from it (claimedIntent).
 */
export function formatIntent(names: string[], claims = 0): string {
  return JSON.stringify(claims ? { names, claims } : { names });
}

/** The intent annotation of the next claim (the same names, one more claim). */
export function claimedIntent(value: string | undefined): string {
  let claims = 0;
  try {
    const v = JSON.parse(value ?? '{}') as { claims?: unknown };
    if (typeof v.claims === 'number') claims = v.claims;
  } catch {
    // An unreadable annotation parses as no intent; nothing to claim.
  }
  return formatIntent(parseIntent(value), claims + 1);
}

export interface ScaleInput {
  replicas: number;
  counted: Machine[];
  owned: Machine[];
  intent: string[];
  /** Every Machine name in the namespace, to avoid collisions and to see which intended ones exist. */
  existingNames: Set<string>;
  deletePolicy: DeletePolicy | undefined;
  createDisabled: boolean;
  machineNameBase: string;
  now: Date;
  newName?: (base: string) => string;
}

export type ScalePlan =
  | { action: 'none' }
  | { action: 'record-intent'; names: string[] }
  /** Create `create` (intent names not yet existing, within what is still needed); forget `drop`. */
  | { action: 'complete-intent'; create: string[]; drop: string[] }
  | { action: 'delete'; machines: Machine[] }
  | { action: 'blocked'; reason: 'CreateDisabled' | 'SelectorDrift'; message: string };

export function planScale(i: ScaleInput): ScalePlan {
  const need = i.replicas - i.counted.length;
  if (i.intent.length > 0) {
    const pending = i.intent.filter((n) => !i.existingNames.has(n));
    const create = pending.slice(0, Math.max(0, need));
    return { action: 'complete-intent', create, drop: pending.slice(create.length) };
  }
  if (need > 0) {
    if (i.createDisabled) {
      return {
        action: 'blocked',
        reason: 'CreateDisabled',
        message: 'machine creation is disabled by the cluster.x-k8s.io/disable-machine-create annotation',
      };
    }
    // Machines this set controls but whose labels no longer match its selector are invisible to the
    // count; creating more would run away (upstream issue #14217), so stop at the owned total.
    if (i.owned.length >= i.replicas) {
      const drifted = i.owned.filter((m) => !i.counted.includes(m)).map((m) => m.metadata.name);
      return {
        action: 'blocked',
        reason: 'SelectorDrift',
        message: `${drifted.length} Machine(s) owned by this MachineSet no longer match spec.selector (${drifted.join(', ')}); not creating more until their labels match again or they are deleted`,
      };
    }
    const gen = i.newName ?? ((base: string) => machineName(base));
    const names: string[] = [];
    while (names.length < need) {
      const n = gen(i.machineNameBase);
      if (!i.existingNames.has(n) && !names.includes(n)) names.push(n);
    }
    return { action: 'record-intent', names };
  }
  if (need < 0) return { action: 'delete', machines: machinesToDelete(i.deletePolicy, i.counted, -need, i.now) };
  return { action: 'none' };
}
