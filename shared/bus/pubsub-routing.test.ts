import { describe, expect, it } from 'vitest';
import { TYPED_SUBSCRIPTIONS, typedEvents } from '../../test/bus/typed-routing-cases.ts';
import { newResourceEvent, type ResourceEvent } from '../events/resource-event.ts';
import {
  attributesMatch,
  FILTER_MAX_BYTES,
  orderingKeyFor,
  pubsubAttributesFor,
  pubsubDeadLetterName,
  pubsubFilterFor,
  pubsubSubscriptionName,
} from './pubsub-routing.ts';
import { matchesSubscription } from './routing.ts';
import type { Subscription } from './types.ts';

// A small evaluator for the part of Pub/Sub's filter language we generate (=, :, hasPrefix, NOT, AND,
// OR, parentheses), written from the filter syntax reference, so the generated strings are checked
// for meaning and not just for shape. (The emulator stores filters but does not apply them.)
function evalFilter(filter: string, attrs: Record<string, string>): boolean {
  const tokens = filter.match(/"(?:[^"\\]|\\.)*"|\(|\)|,|=|:|[A-Za-z_][\w.]*/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++]!;
  const str = (t: string) => JSON.parse(t) as string;
  const attrName = (t: string) => {
    if (!t.startsWith('attributes.')) throw new Error(`unexpected ${t}`);
    return t.slice('attributes.'.length);
  };
  function primary(): boolean {
    const t = next();
    if (t === 'NOT') return !primary();
    if (t === '(') {
      const v = or();
      if (next() !== ')') throw new Error('expected )');
      return v;
    }
    if (t === 'hasPrefix') {
      next(); // (
      const key = attrName(next());
      next(); // ,
      const prefix = str(next());
      next(); // )
      return attrs[key]?.startsWith(prefix) ?? false;
    }
    if (t === 'attributes') {
      if (next() !== ':') throw new Error('expected :');
      return next() in attrs;
    }
    const key = attrName(t);
    if (next() !== '=') throw new Error('expected =');
    return attrs[key] === str(next());
  }
  function and(): boolean {
    let v = primary();
    while (peek() === 'AND') {
      next();
      v = primary() && v;
    }
    return v;
  }
  function or(): boolean {
    let v = and();
    while (peek() === 'OR') {
      next();
      v = and() || v;
    }
    return v;
  }
  const v = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in ${filter}`);
  return v;
}

const G = 'cluster.x-k8s.io';
const ev = (apiVersion: string, kind: string, extra: Partial<Parameters<typeof newResourceEvent>[0]> = {}) =>
  newResourceEvent({
    type: 'io.capifn.resource.modified',
    source: 's',
    ref: { apiVersion, kind, name: 'n', uid: 'u' },
    ...extra,
  });

const events: ResourceEvent[] = [
  ev(`${G}/v1beta1`, 'Machine'),
  ev(`${G}/v1beta1`, 'Machine', { statusOnly: true }),
  ev(`${G}/v1beta1`, 'Machine', { statusOnly: false }),
  { ...ev(`${G}/v1beta1`, 'Machine', { statusOnly: true }), type: 'io.capifn.resource.added' },
  ev(`${G}/v1beta1`, 'MachineSet'),
  ev('infrastructure.cluster.x-k8s.io/v1beta2', 'Machine'),
  ev('v1', 'Node'),
  ev('v1', 'Node', { statusOnly: true }),
  ev('v1', 'Pod', { targetHandler: 'machine' }),
  ev(`${G}/v1beta1`, 'Machine', { targetHandler: 'other' }),
  ev('apps/v1', 'Deployment'),
  ...typedEvents(ev),
];

const subs: Subscription[] = [
  {
    handler: 'machine',
    kinds: [
      { group: G, kind: 'Machine' },
      { group: '', kind: 'Node' },
    ],
    statusChanges: false,
  },
  { handler: 'machineset', kinds: [{ group: G, kind: 'MachineSet' }], statusChanges: true },
  { handler: 'drift', kinds: [], statusChanges: true },
  ...TYPED_SUBSCRIPTIONS,
  // Gated and short enough to be exact: the filter itself skips what the bridge flagged.
  {
    handler: 'gated-exact',
    kinds: [{ group: G, kind: 'Machine', whenExists: { group: G, kind: 'MachineHealthCheck' } }],
    statusChanges: true,
  },
  {
    handler: 'wide',
    kinds: Array.from({ length: 12 }, (_, i) => ({
      group: i % 2 ? G : 'infrastructure.cluster.x-k8s.io',
      kind: `LongKindName${i}`,
    })).concat([{ group: G, kind: 'Machine' }]),
    statusChanges: false,
  },
];

describe('pubsubFilterFor', () => {
  it('agrees with matchesSubscription wherever it is exact, and never excludes a match when widened', () => {
    for (const sub of subs) {
      const { filter, exact } = pubsubFilterFor(sub);
      expect(Buffer.byteLength(filter)).toBeLessThanOrEqual(FILTER_MAX_BYTES);
      for (const e of events) {
        const viaFilter = evalFilter(filter, pubsubAttributesFor(e));
        const want = matchesSubscription(e, sub);
        if (exact) expect(viaFilter, `${sub.handler} ${JSON.stringify(e)}`).toBe(want);
        else if (want) expect(viaFilter).toBe(true);
        // The consumer's check on the same attributes is always exact.
        expect(attributesMatch(pubsubAttributesFor(e), sub)).toBe(want);
      }
    }
  });
  it('is exact for ordinary handlers and widens only when the exact filter is too long', () => {
    expect(pubsubFilterFor(subs[0]!)).toEqual({
      filter:
        'attributes.capifnhandler = "machine" OR (NOT attributes:capifnhandler AND NOT attributes:capifnstatusonly AND (attributes.capifnkind = "cluster.x-k8s.io/Machine" OR attributes.capifnkind = "/Node"))',
      exact: true,
    });
    expect(pubsubFilterFor(subs[2]!)).toEqual({ filter: 'attributes.capifnhandler = "drift"', exact: true });
    expect(pubsubFilterFor(subs[3]!).exact).toBe(false);
  });
});

describe('attributes, ordering keys, names', () => {
  it('carries the routing fields as attributes', () => {
    expect(pubsubAttributesFor(ev('v1', 'Node', { statusOnly: true }))).toEqual({
      capifnkind: '/Node',
      capifnstatusonly: 'true',
      capifntype: 'io.capifn.resource.modified',
    });
    expect(pubsubAttributesFor({ junk: true })).toEqual({});
  });
  it('orders by object UID, falls back to the subject, and leaves delayed events unordered', () => {
    const e = ev(`${G}/v1beta1`, 'Machine');
    expect(orderingKeyFor(e)).toBe('u');
    expect(orderingKeyFor({ ...e, data: { ref: { ...e.data.ref, uid: undefined } } })).toBe(e.subject);
    expect(orderingKeyFor({ ...e, capifnnotbefore: new Date().toISOString() })).toBe('');
    expect(orderingKeyFor('x')).toBe('');
  });
  it('names subscriptions and dead-letter topics validly', () => {
    expect(pubsubSubscriptionName('capifn-events', 'machine')).toBe('capifn-events-machine');
    expect(pubsubDeadLetterName('capifn-events', 'machine')).toBe('capifn-events-machine-dead-letter');
    expect(pubsubSubscriptionName('t', 'a/b')).toMatch(/^[A-Za-z0-9._~+%-]+$/);
  });
});
