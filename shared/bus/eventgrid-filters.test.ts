import { describe, expect, it } from 'vitest';
import { TYPED_SUBSCRIPTIONS, typedEvents } from '../../test/bus/typed-routing-cases.ts';
import { filterMatches } from '../../test/emulators/eventgrid/advanced-filters.ts';
import { newResourceEvent, type ResourceEvent } from '../events/resource-event.ts';
import { toSendCloudEvent } from './eventgrid.ts';
import { eventGridFilterSetsFor, eventGridSubscriptionName, eventGridSubscriptionsFor } from './eventgrid-filters.ts';
import { matchesSubscription } from './routing.ts';
import type { Subscription } from './types.ts';

const G = 'cluster.x-k8s.io';
const ev = (apiVersion: string, kind: string, extra: Partial<Parameters<typeof newResourceEvent>[0]> = {}) =>
  newResourceEvent({
    type: 'io.capifn.resource.modified',
    source: 's',
    ref: { apiVersion, kind, name: 'n' },
    ...extra,
  });

const events: ResourceEvent[] = [
  ev(`${G}/v1beta1`, 'Machine'),
  ev(`${G}/v1beta1`, 'Machine', { statusOnly: true }),
  ev(`${G}/v1beta1`, 'Machine', { statusOnly: false }),
  { ...ev(`${G}/v1beta1`, 'Machine', { statusOnly: true }), type: 'io.capifn.resource.deleted' },
  ev('infrastructure.cluster.x-k8s.io/v1beta2', 'Machine'),
  ev(`x-k8s.io/v1`, 'Machine'),
  ev('v1', 'Node'),
  ev('v1', 'Node', { statusOnly: true }),
  ev('v1', 'Pod', { targetHandler: 'machine' }),
  ev(`${G}/v1beta1`, 'Machine', { targetHandler: 'other' }),
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
  {
    handler: 'machineset',
    kinds: [
      { group: G, kind: 'MachineSet' },
      { group: G, kind: 'Machine' },
    ],
    statusChanges: true,
  },
  { handler: 'drift', kinds: [], statusChanges: true },
  ...TYPED_SUBSCRIPTIONS,
];

describe('eventGridFilterSetsFor', () => {
  it('routes exactly like matchesSubscription, each event through at most one set (never queued twice)', () => {
    for (const sub of subs) {
      const sets = eventGridFilterSetsFor(sub);
      for (const e of events) {
        // What Event Grid filters on is the CloudEvent the SDK sends.
        const wire = JSON.parse(JSON.stringify(toSendCloudEvent(e))) as Record<string, unknown>;
        const flat = { ...wire, ...(wire.extensionAttributes as object) };
        const hits = sets.filter((s) => filterMatches(flat, { advancedFilters: s.advancedFilters }));
        expect(hits.length, `${sub.handler} ${e.subject} ${e.capifnhandler ?? ''}`).toBe(
          matchesSubscription(e, sub) ? 1 : 0,
        );
      }
    }
  });
  it('builds ARM event subscriptions with a storage-queue destination and the CloudEvents schema', () => {
    const specs = eventGridSubscriptionsFor(subs[0]!, {
      queueName: 'capifn-machine',
      storageAccountResourceId: '/subs/x/sa',
    });
    expect(specs.map((s) => s.name)).toEqual([
      'capifn-machine-target',
      'capifn-machine-g0-other',
      'capifn-machine-g0-spec',
      'capifn-machine-g0-unflagged',
      'capifn-machine-g1-other',
      'capifn-machine-g1-spec',
      'capifn-machine-g1-unflagged',
    ]);
    expect(specs[0]!.body.properties.destination).toEqual({
      endpointType: 'StorageQueue',
      properties: { resourceId: '/subs/x/sa', queueName: 'capifn-machine', queueMessageTimeToLiveInSeconds: -1 },
    });
    expect(specs[0]!.body.properties.eventDeliverySchema).toBe('CloudEventSchemaV1_0');
  });
  it('names stay within 3–64 letters, digits and hyphens', () => {
    expect(eventGridSubscriptionName(`providers/${'x'.repeat(100)}`, 'g0-unflagged')).toMatch(/^[A-Za-z0-9-]{3,64}$/);
  });
  it('refuses a handler that needs more than 25 filter values in one subscription', () => {
    const kinds = Array.from({ length: 30 }, (_, i) => ({ group: G, kind: `K${i}` }));
    expect(() => eventGridFilterSetsFor({ handler: 'h', kinds, statusChanges: true })).toThrow(/over the limit of 25/);
  });
});

describe('toSendCloudEvent', () => {
  it('maps CloudEvents attributes and passes capi-fn extensions as extension attributes', () => {
    const e = ev(`${G}/v1beta1`, 'Machine', { targetHandler: 'machine', statusOnly: false });
    const s = toSendCloudEvent(e);
    expect(s).toMatchObject({ type: e.type, source: e.source, id: e.id, subject: e.subject, data: e.data });
    expect(s.time?.toISOString()).toBe(e.time);
    expect(s.extensionAttributes).toEqual({ capifnhandler: 'machine', capifnstatusonly: 'false' });
    expect(() => toSendCloudEvent('x')).toThrow();
  });
});
