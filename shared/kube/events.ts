// Kubernetes Events (events.k8s.io/v1) as client-go's recorders write them: `kubectl describe` and
// `kubectl events` show them under the object. Repeats become the Event's series, many messages for one object and
// reason are combined, and a per-object budget caps a retry loop (event-correlator.ts decides; this file writes).
// Best effort: recording an Event never fails the reconcile that reports it.
import { hostname } from 'node:os';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from './client.ts';
import { isAlreadyExists, isConflict } from './errors.ts';
import { type CorrelatorState, correlate, markWritten, newCorrelatorState } from './event-correlator.ts';

export interface EventInput {
  /** The object the Event is about; its uid is what `kubectl describe` selects Events by. */
  regarding: {
    apiVersion: string;
    kind: string;
    namespace?: string | undefined;
    name: string;
    uid?: string | undefined;
  };
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, upstream's where upstream has one, e.g. `SuccessfulCreate`. */
  reason: string;
  message: string;
  /** The component that reports it, e.g. `capi-fn-machineset`. */
  component: string;
  /** What was done (events.k8s.io/v1 requires one); the reason when not given. */
  action?: string;
}

/** What a handler declares to write Events (functions/registry.ts turns it into RBAC). */
export const EVENT_ACCESS = {
  group: 'events.k8s.io',
  kinds: ['Event'],
  namespaces: 'workload' as const,
  verbs: ['get' as const, 'create' as const, 'update' as const],
};

export const EVENTS_V1 = { apiVersion: 'events.k8s.io/v1', kind: 'Event' } as const;

export interface EventV1 extends KubeObject {
  eventTime?: string;
  series?: { count: number; lastObservedTime: string };
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  note?: string;
  type?: string;
  regarding?: EventInput['regarding'];
}

const processState = newCorrelatorState();
const INSTANCE = hostname().slice(0, 128);

/** MicroTime: RFC 3339 with microseconds, as the API server stores eventTime. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function newEvent(e: EventInput, namespace: string, name: string, note: string, at: string, count: number): EventV1 {
  return {
    ...EVENTS_V1,
    metadata: { name, namespace },
    eventTime: at,
    ...(count > 1 ? { series: { count, lastObservedTime: at } } : {}),
    reportingController: `capi-fn.io/${e.component}`,
    reportingInstance: `${e.component}-${INSTANCE}`.slice(0, 128),
    action: e.action ?? e.reason,
    reason: e.reason,
    note,
    type: e.type,
    regarding: e.regarding,
  };
}

/**
 * Records one occurrence. Returns true when the API server has it (or will with the next flush of its series),
 * false when it was dropped or could not be written.
 */
export async function recordEvent(
  kube: KubeClient,
  e: EventInput,
  now = new Date(),
  state: CorrelatorState = processState,
): Promise<boolean> {
  const namespace = e.regarding.namespace ?? 'default';
  const d = correlate(
    state,
    {
      kind: e.regarding.kind,
      namespace,
      name: e.regarding.name,
      uid: e.regarding.uid,
      type: e.type,
      reason: e.reason,
      component: e.component,
      message: e.message,
    },
    now.getTime(),
  );
  if (d.action === 'drop') return false;
  if (d.action === 'hold') return true;
  const at = microTime(now);
  const key = { ...EVENTS_V1, namespace, name: d.name };
  try {
    const increment = d.action === 'add' ? d.increment : 1;
    if (d.action === 'create') {
      try {
        await kube.create(newEvent(e, namespace, d.name, d.note, at, 1));
        markWritten(state, d.key, now.getTime());
        return true;
      } catch (err) {
        // The name is taken (only by an Event of the same instant): count this occurrence on it.
        if (!isAlreadyExists(err)) throw err;
      }
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await kube.find<EventV1>(key);
      if (!existing) {
        try {
          await kube.create(newEvent(e, namespace, d.name, d.note, at, increment));
          markWritten(state, d.key, now.getTime());
          return true;
        } catch (err) {
          if (isAlreadyExists(err)) continue;
          throw err;
        }
      }
      const count = (existing.series?.count ?? 1) + increment;
      try {
        await kube.update({ ...existing, series: { count, lastObservedTime: at } });
        markWritten(state, d.key, now.getTime());
        return true;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    return false;
  } catch {
    // No Events resource, no permission, a server error: the caller logs what it reported instead.
    return false;
  }
}

/** The `regarding` of an Event about an object read from the API server (its uid included, for describe). */
export function regardingOf(o: KubeObject): EventInput['regarding'] {
  return {
    apiVersion: o.apiVersion!,
    kind: o.kind!,
    namespace: o.metadata.namespace,
    name: o.metadata.name!,
    uid: o.metadata.uid,
  };
}
