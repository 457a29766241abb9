// Pure derivation of Event Grid event subscriptions (storage-queue destination, CloudEvents 1.0
// delivery schema) from a capi-fn Subscription. Event Grid ANDs every advanced filter of one
// subscription and has no OR across keys, so the routing rule (targeted OR kind-routed, status-only and
// metadata-only changes skipped where asked) becomes several disjoint subscriptions feeding the same queue:
// an event matches at most one of them, so it is never queued twice.

import { boundedName } from './names.ts';
import { kindsByGroup } from './routing.ts';
import type { Subscription } from './types.ts';

const MODIFIED = 'io.capifn.resource.modified';
/** Documented per-subscription limits: 25 advanced filters and 25 values across them. */
export const EVENT_GRID_MAX_FILTER_VALUES = 25;

export type EventGridAdvancedFilter =
  | { operatorType: 'StringIn' | 'StringNotIn' | 'StringBeginsWith'; key: string; values: string[] }
  | { operatorType: 'IsNullOrUndefined' | 'IsNotNull'; key: string };

export interface EventGridFilterSet {
  /** Suffix of the event subscription name. */
  suffix: string;
  advancedFilters: EventGridAdvancedFilter[];
}

/**
 * The filter sets for `sub`. Keys are CloudEvents attribute names (extensions included) and `data.*`
 * paths. Event Grid compares strings case-insensitively; Kubernetes kinds and handler names never
 * differ only by case, so that loses nothing. The core group is matched as apiVersion "v1" (the only
 * version it serves), as in the EventBridge rules.
 */
export function eventGridFilterSetsFor(sub: Subscription): EventGridFilterSet[] {
  const sets: EventGridFilterSet[] = [
    { suffix: 'target', advancedFilters: [{ operatorType: 'StringIn', key: 'capifnhandler', values: [sub.handler] }] },
  ];
  kindsByGroup(sub).forEach((g, i) => {
    const { group, kinds, types, absentKey } = g;
    const base: EventGridAdvancedFilter[] = [
      { operatorType: 'IsNullOrUndefined', key: 'capifnhandler' },
      { operatorType: 'StringIn', key: 'data.ref.kind', values: kinds },
      group
        ? { operatorType: 'StringBeginsWith', key: 'data.ref.apiVersion', values: [`${group}/`] }
        : { operatorType: 'StringIn', key: 'data.ref.apiVersion', values: ['v1'] },
      // A watch that matters only while some object of a kind exists: the bridge's "none" flag must be absent.
      ...(absentKey ? [{ operatorType: 'IsNullOrUndefined' as const, key: absentKey }] : []),
    ];
    const modified: EventGridAdvancedFilter = { operatorType: 'StringIn', key: 'type', values: [MODIFIED] };
    const alts = modificationAlternatives(g);
    if (types) {
      // Only these types (disjoint sets, as below); a modification among them still skips the flagged changes.
      const others = types.filter((t) => t !== MODIFIED);
      if (others.length)
        sets.push({
          suffix: `g${i}-types`,
          advancedFilters: [...base, { operatorType: 'StringIn', key: 'type', values: others }],
        });
      if (!types.includes(MODIFIED)) return;
      if (alts.length === 1) sets.push({ suffix: `g${i}-modified`, advancedFilters: [...base, modified] });
      else
        for (const a of alts)
          sets.push({ suffix: `g${i}-${a.suffix}`, advancedFilters: [...base, modified, ...a.filters] });
      return;
    }
    if (alts.length === 1) {
      sets.push({ suffix: `g${i}`, advancedFilters: base });
      return;
    }
    // Not a modification / a modification with each skipped flag "false" or absent, in every combination. Only
    // positive tests on keys that are present are used, so nothing depends on how Event Grid treats "Not"
    // operators on a missing key.
    sets.push(
      {
        suffix: `g${i}-other`,
        advancedFilters: [...base, { operatorType: 'StringNotIn', key: 'type', values: [MODIFIED] }],
      },
      ...alts.map((a) => ({ suffix: `g${i}-${a.suffix}`, advancedFilters: [...base, modified, ...a.filters] })),
    );
  });
  for (const s of sets) {
    const values = s.advancedFilters.reduce((n, f) => n + ('values' in f ? f.values.length : 1), 0);
    if (values > EVENT_GRID_MAX_FILTER_VALUES) {
      throw new RangeError(
        `Event Grid subscription ${sub.handler}-${s.suffix} needs ${values} filter values, over the limit of ${EVENT_GRID_MAX_FILTER_VALUES}`,
      );
    }
  }
  return sets;
}

/**
 * The disjoint ways a modification passes the flags a group skips: each skipped flag "false" or absent. Suffixes
 * `spec`/`unflagged` (status-only flag) and `body`/`unmarked` (metadata-only flag), joined.
 */
function modificationAlternatives(g: {
  statusChanges: boolean;
  metadataChanges: boolean;
}): Array<{ suffix: string; filters: EventGridAdvancedFilter[] }> {
  let alts: Array<{ suffix: string[]; filters: EventGridAdvancedFilter[] }> = [{ suffix: [], filters: [] }];
  const skip = (key: string, present: string, absent: string) => {
    alts = alts.flatMap((a) => [
      { suffix: [...a.suffix, present], filters: [...a.filters, { operatorType: 'StringIn', key, values: ['false'] }] },
      { suffix: [...a.suffix, absent], filters: [...a.filters, { operatorType: 'IsNullOrUndefined', key }] },
    ]);
  };
  if (!g.statusChanges) skip('capifnstatusonly', 'spec', 'unflagged');
  if (!g.metadataChanges) skip('capifnmetaonly', 'body', 'unmarked');
  return alts.map((a) => ({ suffix: a.suffix.join('-'), filters: a.filters }));
}

export interface EventGridSubscriptionSpec {
  /** Event subscription name (3–64 characters: letters, digits, hyphens). */
  name: string;
  /** The ARM `Microsoft.EventGrid/.../eventSubscriptions` resource body. */
  body: {
    properties: {
      destination: {
        endpointType: 'StorageQueue';
        properties: { resourceId: string; queueName: string; queueMessageTimeToLiveInSeconds: number };
      };
      filter: { advancedFilters: EventGridAdvancedFilter[] };
      eventDeliverySchema: 'CloudEventSchemaV1_0';
    };
  };
}

export function eventGridSubscriptionName(handler: string, suffix: string): string {
  return boundedName(`capifn-${handler}-${suffix}`, {
    maxLength: 64,
    minLength: 3,
    invalid: /[^A-Za-z0-9-]/g,
    replacement: '-',
    collapse: true,
    trimEnds: true,
  });
}

/** Event subscriptions (storage-queue destination) that implement `sub` on an Event Grid topic. */
export function eventGridSubscriptionsFor(
  sub: Subscription,
  destination: { queueName: string; storageAccountResourceId: string },
): EventGridSubscriptionSpec[] {
  return eventGridFilterSetsFor(sub).map((set) => ({
    name: eventGridSubscriptionName(sub.handler, set.suffix),
    body: {
      properties: {
        destination: {
          endpointType: 'StorageQueue',
          properties: {
            resourceId: destination.storageAccountResourceId,
            queueName: destination.queueName,
            // Delayed requeues can wait longer than the 7-day default.
            queueMessageTimeToLiveInSeconds: -1,
          },
        },
        filter: { advancedFilters: set.advancedFilters },
        eventDeliverySchema: 'CloudEventSchemaV1_0',
      },
    },
  }));
}
