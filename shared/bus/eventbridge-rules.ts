// Pure derivations for the EventBridge shape: one rule per handler subscription (a few when its pattern is over
// the size quota) whose pattern is the routing rule of routing.ts, targeting one SQS queue per handler (with its
// redrive DLQ). The
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
 * The event patterns for `sub`, together matching what `matchesSubscription` accepts. The bus `Detail` is the
 * whole CloudEvent, so CloudEvent fields live under `detail`. EventBridge cannot test "apiVersion has no slash",
 * so the core group is matched as apiVersion "v1" (the only version the core group serves). Status-only (and
 * metadata-only) skipping is spelled as alternatives because `anything-but` never matches a missing field: not a
 * modification / flag explicitly "false" / flag absent.
 *
 * One pattern while it fits the account's default size quota; over it, the alternatives are shared out between
 * patterns that each fit, one rule each, all targeting the handler's queue. An API group's alternatives stay in one
 * pattern: they may overlap (an event matching two of them), and two rules matching one event would send it
 * twice. Different groups, and the requeue branch, never match the same event.
 */
export function eventBridgePatternsFor(sub: Subscription): Record<string, unknown>[] {
  const chunks = branchesOf(sub);
  const patterns: Record<string, unknown>[][] = [];
  let current: Record<string, unknown>[] = [];
  for (const chunk of chunks) {
    const joined = [...current, ...chunk];
    if (current.length && JSON.stringify(patternOf(joined)).length > DEFAULT_PATTERN_QUOTA_CHARS) {
      patterns.push(current);
      current = [...chunk];
    } else {
      current = joined;
    }
  }
  if (current.length) patterns.push(current);
  return patterns.map(patternOf);
}

function patternOf(branches: Record<string, unknown>[]): Record<string, unknown> {
  return { detail: branches.length === 1 ? branches[0]! : { $or: branches } };
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

/** The pattern's alternatives: the requeue branch, then each API group's, a group's kept together. */
function branchesOf(sub: Subscription): Record<string, unknown>[][] {
  const chunks: Record<string, unknown>[][] = [[{ capifnhandler: [sub.handler] }]];
  for (const g of kindsByGroup(sub)) {
    const { group, kinds, types, absentKey } = g;
    const base = {
      capifnhandler: [{ exists: false }],
      data: { ref: { kind: kinds, apiVersion: group ? [{ prefix: `${group}/` }] : ['v1'] } },
      // A watch that matters only while some object of a kind exists: the bridge's "none" flag must be absent.
      ...(absentKey ? { [absentKey]: [{ exists: false }] } : {}),
    };
    const alts = modificationAlternatives(g);
    const branches: Record<string, unknown>[] = [];
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
    chunks.push(branches);
  }
  return chunks;
}

/** A rule's name: the handler's, then `-2`, `-3`… for the further rules of a pattern shared out. */
export function eventBridgeRuleNameAt(handler: string, index: number, prefix = DEFAULT_QUEUE_PREFIX): string {
  return index === 0 ? eventBridgeRuleName(handler, prefix) : eventBridgeRuleName(`${handler}-${index + 1}`, prefix);
}

export function eventBridgeRulesFor(
  sub: Subscription,
  busName: string,
  prefix = DEFAULT_QUEUE_PREFIX,
): EventBridgeRule[] {
  return eventBridgePatternsFor(sub).map((pattern, i) => {
    const json = JSON.stringify(pattern);
    if (json.length > EVENT_PATTERN_MAX_CHARS) {
      throw new RangeError(
        `EventBridge pattern for handler "${sub.handler}" is ${json.length} characters, over the ${EVENT_PATTERN_MAX_CHARS} limit`,
      );
    }
    return {
      Name: eventBridgeRuleNameAt(sub.handler, i, prefix),
      EventBusName: busName,
      Description: `capi-fn handler ${sub.handler}`,
      EventPattern: pattern,
    };
  });
}
