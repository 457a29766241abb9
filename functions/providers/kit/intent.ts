// The create intent (DESIGN.md rule 3), kept in an annotation of the infrastructure machine and written
// with a resourceVersion precondition before the cloud is asked to create anything. It names the
// idempotency key (derived from the Machine UID) and holds a lease: while an invocation may be inside
// the create call, no other one creates. Pure decisions; the lifecycle does the writes.
//
// Why a lease and not only the key: a cloud that deduplicates by key (EC2's ClientToken, GCP's
// requestId, ARM's PUT by name) would make the lease unnecessary, but emulators ignore keys, Nova has
// none, and lookups can lag a create. Only the invocation that wins the intent write may create; others
// wait until it has recorded the instance, the lookup sees it, or the lease runs out (the winner died).
// Providers whose cloud deduplicates perfectly set the lease to 0.

export const CREATE_INTENT_ANNOTATION = 'infrastructure.capi-fn.io/create-intent';

export interface LaunchIntent {
  /** The idempotency key: `<Machine UID>-<attempt>`. */
  key: string;
  /** Bumped only after the cloud definitively refused a create, so a fixed request never reuses a key. */
  attempt: number;
  /** Where the create went (AWS region, GCP project/zone …): deletion needs it even when the cluster object is gone. */
  location?: string;
  /** Set while a create may be in flight; absent after a definitive failure released it. */
  startedAt?: string;
}

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function keyFor(machineUid: string, attempt: number): string {
  // ≤64 ASCII characters (EC2's ClientToken limit): a UID is 36.
  return `${machineUid}-${attempt}`;
}

/**
 * Reads the annotation. Also reads what earlier versions wrote: the AWS provider's JSON with `clientToken`
 * and `region`, and the local provider's bare Machine UID.
 */
export function parseIntent(annotations: Record<string, string> | undefined): LaunchIntent | undefined {
  const raw = annotations?.[CREATE_INTENT_ANNOTATION];
  if (!raw) return undefined;
  if (UID.test(raw.trim())) return { key: keyFor(raw.trim(), 1), attempt: 1 };
  try {
    const v = JSON.parse(raw) as Partial<LaunchIntent> & { clientToken?: unknown; region?: unknown };
    const key = typeof v.key === 'string' ? v.key : typeof v.clientToken === 'string' ? v.clientToken : undefined;
    if (key === undefined || typeof v.attempt !== 'number') return undefined;
    const out: LaunchIntent = { key, attempt: v.attempt };
    const location = typeof v.location === 'string' ? v.location : typeof v.region === 'string' ? v.region : undefined;
    if (location !== undefined) out.location = location;
    if (typeof v.startedAt === 'string') out.startedAt = v.startedAt;
    return out;
  } catch {
    return undefined;
  }
}

/** Stable key order, so an unchanged intent compares equal and is never rewritten. */
export function formatIntent(i: LaunchIntent): string {
  return JSON.stringify({
    key: i.key,
    attempt: i.attempt,
    ...(i.location !== undefined ? { location: i.location } : {}),
    ...(i.startedAt !== undefined ? { startedAt: i.startedAt } : {}),
  });
}

/** The Machine UID in a key (`<uid>-<n>`), for an infrastructure machine that lost its owner reference. */
export function machineUidOfKey(key: string): string {
  return key.replace(/-\d+$/, '');
}

export type LaunchDecision = { action: 'claim'; intent: LaunchIntent } | { action: 'wait'; waitMs: number };

/** Whether this invocation may claim the create, and with which key. */
export function decideLaunch(
  current: LaunchIntent | undefined,
  machineUid: string,
  location: string | undefined,
  now: Date,
  leaseMs: number,
): LaunchDecision {
  const startedAt = now.toISOString();
  const withLocation = (i: LaunchIntent): LaunchIntent => (location !== undefined ? { ...i, location } : i);
  // A key from another Machine (a copied annotation) is ignored, never reused.
  if (!current?.key.startsWith(`${machineUid}-`)) {
    return { action: 'claim', intent: withLocation({ key: keyFor(machineUid, 1), attempt: 1, startedAt }) };
  }
  const held = leaseHeld(current, now, leaseMs);
  if (held !== undefined) return { action: 'wait', waitMs: held };
  // Released, or the holder died: complete the same intent. The same key makes a repeat of a create that
  // did happen return that instance on a cloud that deduplicates.
  return { action: 'claim', intent: withLocation({ ...current, startedAt }) };
}

/** After the cloud definitively refused the create: nothing is in flight, and the next try gets a new key. */
export function releaseAfterRefusal(current: LaunchIntent, machineUid: string): LaunchIntent {
  const attempt = current.attempt + 1;
  const out: LaunchIntent = { key: keyFor(machineUid, attempt), attempt };
  if (current.location !== undefined) out.location = current.location;
  return out;
}

/** A lease still held: a create may be running somewhere, so neither another create nor deletion may finish yet. */
export function leaseHeld(current: LaunchIntent | undefined, now: Date, leaseMs: number): number | undefined {
  if (!current?.startedAt || leaseMs <= 0) return undefined;
  const age = now.getTime() - Date.parse(current.startedAt);
  return Number.isFinite(age) && age >= 0 && age < leaseMs ? leaseMs - age : undefined;
}
