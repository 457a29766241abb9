// The create intent (DESIGN.md rule 3), kept in an AWSMachine annotation and written with a
// resourceVersion precondition before RunInstances. It names the ClientToken (derived from the
// Machine UID) and holds a lease: while an invocation may be inside RunInstances, no other one
// launches. Pure decisions; machine.ts does the writes.
//
// Why a lease and not only the token: real EC2 returns the first instance for a repeated ClientToken,
// but moto ignores the token, and DescribeInstances by tag can lag a launch on real EC2. Only the
// invocation that wins the intent write may call RunInstances; others wait until it has persisted
// the instance ID, the tag lookup sees the instance, or the lease runs out (the winner died).

export const CREATE_INTENT_ANNOTATION = 'infrastructure.capi-fn.io/create-intent';

export interface LaunchIntent {
  /** The RunInstances ClientToken: `<Machine UID>-<attempt>`. */
  clientToken: string;
  /** Bumped only after EC2 definitively refused a launch, so a fixed request never reuses a token. */
  attempt: number;
  /** Where the launch went: deletion needs it even when the AWSCluster is gone. */
  region?: string;
  /** Set while a launch may be in flight; absent after a definitive failure released it. */
  startedAt?: string;
}

export function clientTokenFor(machineUid: string, attempt: number): string {
  // ≤64 ASCII characters (EC2's limit): a UID is 36.
  return `${machineUid}-${attempt}`;
}

export function parseIntent(annotations: Record<string, string> | undefined): LaunchIntent | undefined {
  const raw = annotations?.[CREATE_INTENT_ANNOTATION];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<LaunchIntent>;
    if (typeof v.clientToken !== 'string' || typeof v.attempt !== 'number') return undefined;
    const out: LaunchIntent = { clientToken: v.clientToken, attempt: v.attempt };
    if (typeof v.region === 'string') out.region = v.region;
    if (typeof v.startedAt === 'string') out.startedAt = v.startedAt;
    return out;
  } catch {
    return undefined;
  }
}

/** Stable key order, so an unchanged intent compares equal and is never rewritten. */
export function formatIntent(i: LaunchIntent): string {
  return JSON.stringify({
    clientToken: i.clientToken,
    attempt: i.attempt,
    ...(i.region !== undefined ? { region: i.region } : {}),
    ...(i.startedAt !== undefined ? { startedAt: i.startedAt } : {}),
  });
}

export type LaunchDecision = { action: 'claim'; intent: LaunchIntent } | { action: 'wait'; waitMs: number };

/** Whether this invocation may claim the launch, and with which token. */
export function decideLaunch(
  current: LaunchIntent | undefined,
  machineUid: string,
  region: string | undefined,
  now: Date,
  leaseMs: number,
): LaunchDecision {
  const startedAt = now.toISOString();
  const withRegion = (i: LaunchIntent): LaunchIntent => (region !== undefined ? { ...i, region } : i);
  // A token from another Machine (a copied annotation) is ignored, never reused.
  if (!current?.clientToken.startsWith(`${machineUid}-`)) {
    return {
      action: 'claim',
      intent: withRegion({ clientToken: clientTokenFor(machineUid, 1), attempt: 1, startedAt }),
    };
  }
  if (current.startedAt) {
    const age = now.getTime() - Date.parse(current.startedAt);
    if (Number.isFinite(age) && age >= 0 && age < leaseMs) return { action: 'wait', waitMs: leaseMs - age };
  }
  // Released, or the holder died: complete the same intent. The same token makes a repeat of a
  // launch that did happen return that instance on real EC2.
  return { action: 'claim', intent: withRegion({ ...current, startedAt }) };
}

/** After EC2 definitively refused the launch: nothing is in flight, and the next try gets a new token. */
export function releaseAfterRefusal(current: LaunchIntent, machineUid: string): LaunchIntent {
  const attempt = current.attempt + 1;
  const out: LaunchIntent = { clientToken: clientTokenFor(machineUid, attempt), attempt };
  if (current.region !== undefined) out.region = current.region;
  return out;
}

/** A lease still held: a launch may be running somewhere, so deletion must not finish yet. */
export function leaseHeld(current: LaunchIntent | undefined, now: Date, leaseMs: number): number | undefined {
  if (!current?.startedAt) return undefined;
  const age = now.getTime() - Date.parse(current.startedAt);
  return Number.isFinite(age) && age >= 0 && age < leaseMs ? leaseMs - age : undefined;
}
