// Pure derivations for the EventBridge shape: one rule per handler subscription whose pattern is the
// routing rule of routing.ts, targeting one SQS queue per handler (with its redrive DLQ). The
// serverless.yml generator uses these too, so deployed rules and tested rules are the same rules.

import { boundedName } from './names.ts';
import { kindsByGroup } from './routing.ts';
import type { Subscription } from './types.ts';

export const DEFAULT_QUEUE_PREFIX = 'capifn-';
/** PutRule's documented EventPattern length limit (the quota can be raised to it). */
export const EVENT_PATTERN_MAX_CHARS = 4096;
/** The default event pattern size quota of an account. */
export const DEFAULT_PATTERN_QUOTA_CHARS = 2048;
const MODIFIED = 'io.capifn.resource.modified';

export interface EventBridgeRule {
  Name: string;
  EventBusName: string;
  Description: string;
  /** The pattern as an object (serverless.yml takes it as YAML); PutRule takes JSON.stringify of it. */
  EventPattern: Record<string, unknown>;
}

export function eventBridgeRuleName(handler: string, prefix = DEFAULT_QUEUE_PREFIX): string {
  return boundedName(`${prefix}${handler}`, { maxLength: 64, invalid: /[^A-Za-z0-9._-]/g, replacement: '-' });
}

export interface SqsQueueNames {
  queue: string;
  deadLetterQueue: string;
}

export function sqsQueueNames(handler: string, prefix = DEFAULT_QUEUE_PREFIX): SqsQueueNames {
  // 80 characters is the SQS limit; keep room for the "-dlq" suffix.
  const queue = boundedName(`${prefix}${handler}`, { maxLength: 76, invalid: /[^A-Za-z0-9_-]/g, replacement: '-' });
  return { queue, deadLetterQueue: `${queue}-dlq` };
}

/**
 * The event pattern for `sub`, matching what `matchesSubscription` accepts. The bus `Detail` is the
 * whole CloudEvent, so CloudEvent fields live under `detail`. EventBridge cannot test "apiVersion has no
 * slash", so the core group is matched as apiVersion "v1" (the only version the core group serves).
 * Status-only (and metadata-only) skipping is spelled as alternatives because `anything-but` never matches a
 * missing field: not a modification / flag explicitly "false" / flag absent.
 */
export function eventBridgePatternFor(sub: Subscription): Record<string, unknown> {
  const exact = exactPatternFor(sub);
  if (JSON.stringify(exact).length <= DEFAULT_PATTERN_QUOTA_CHARS) return exact;
  // Skipping status-only or metadata-only changes costs alternatives per API group; over the default quota, the
  // rule lets every such change of the subscription's kinds through instead and the runtime drops the ones a watch
  // does not want (as it does behind a widened Pub/Sub filter).
  const kinds = kindsByGroup(sub);
  const mixedStatus = kinds.some((g) => g.statusChanges) && !kinds.every((g) => g.statusChanges);
  if (!mixedStatus && kinds.every((g) => g.metadataChanges)) return exact;
  return exactPatternFor({
    ...sub,
    kinds: sub.kinds.map(({ statusChanges: _s, metadataChanges: _m, ...k }) => k),
    statusChanges: true,
  });
}

/**
 * The ways a modification passes the flags a group skips: each skipped flag is "false" or absent (`anything-but`
 * never matches a missing field), so one alternative per combination.
 */
function modificationAlternatives(g: { statusChanges: boolean; metadataChanges: boolean }): Record<string, unknown>[] {
  let alts: Record<string, unknown>[] = [{}];
  const skip = (flag: string) => {
    alts = alts.flatMap((a) => [
      { ...a, [flag]: ['false'] },
      { ...a, [flag]: [{ exists: false }] },
    ]);
  };
  if (!g.statusChanges) skip('capifnstatusonly');
  if (!g.metadataChanges) skip('capifnmetaonly');
  return alts;
}

function exactPatternFor(sub: Subscription): Record<string, unknown> {
  const branches: Record<string, unknown>[] = [{ capifnhandler: [sub.handler] }];
  for (const g of kindsByGroup(sub)) {
    const { group, kinds, types, absentKey } = g;
    const base = {
      capifnhandler: [{ exists: false }],
      data: { ref: { kind: kinds, apiVersion: group ? [{ prefix: `${group}/` }] : ['v1'] } },
      // A watch that matters only while some object of a kind exists: the bridge's "none" flag must be absent.
      ...(absentKey ? { [absentKey]: [{ exists: false }] } : {}),
    };
    const alts = modificationAlternatives(g);
    if (types) {
      // Only these types; a modification among them still skips the flagged changes when asked to.
      const others = types.filter((t) => t !== MODIFIED);
      if (others.length) branches.push({ ...base, type: others });
      if (types.includes(MODIFIED)) for (const a of alts) branches.push({ ...base, type: [MODIFIED], ...a });
    } else if (alts.length === 1) {
      branches.push(base);
    } else {
      branches.push({ ...base, type: [{ 'anything-but': MODIFIED }] }, ...alts.map((a) => ({ ...base, ...a })));
    }
  }
  return { detail: branches.length === 1 ? branches[0]! : { $or: branches } };
}

export function eventBridgeRuleFor(sub: Subscription, busName: string, prefix = DEFAULT_QUEUE_PREFIX): EventBridgeRule {
  const pattern = eventBridgePatternFor(sub);
  const json = JSON.stringify(pattern);
  if (json.length > EVENT_PATTERN_MAX_CHARS) {
    throw new RangeError(
      `EventBridge pattern for handler "${sub.handler}" is ${json.length} characters, over the ${EVENT_PATTERN_MAX_CHARS} limit`,
    );
  }
  return {
    Name: eventBridgeRuleName(sub.handler, prefix),
    EventBusName: busName,
    Description: `capi-fn handler ${sub.handler}`,
    EventPattern: pattern,
  };
}
