// Kubernetes Events (core/v1), as a controller's event recorder writes them: one Event per object, reason and
// message, whose count and lastTimestamp grow when the same thing happens again (kubectl describe and
// `kubectl get events` show them). Best effort: recording an Event never fails the reconcile that reports it.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from './client.ts';
import { isAlreadyExists, isConflict } from './errors.ts';

export interface EventInput {
  /** The object the Event is about. */
  regarding: {
    apiVersion: string;
    kind: string;
    namespace?: string | undefined;
    name: string;
    uid?: string | undefined;
  };
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. `OrphanedInstance`. */
  reason: string;
  message: string;
  /** The component that reports it, e.g. `capi-fn-drift`. */
  component: string;
}

interface EventObject extends KubeObject {
  count?: number;
  lastTimestamp?: string;
}

function eventName(e: EventInput): string {
  const h = createHash('sha256')
    .update(`${e.regarding.kind}/${e.regarding.name}/${e.reason}/${e.message}`)
    .digest('hex')
    .slice(0, 16);
  return `${e.regarding.name}.${h}`;
}

/** Creates the Event, or counts one more occurrence of the same one. Returns false when it could not be written. */
export async function recordEvent(kube: KubeClient, e: EventInput, now = new Date()): Promise<boolean> {
  const namespace = e.regarding.namespace ?? 'default';
  const name = eventName(e);
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const key = { apiVersion: 'v1', kind: 'Event', namespace, name };
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await kube.find<EventObject>(key);
      if (existing) {
        try {
          await kube.update({ ...existing, count: (existing.count ?? 1) + 1, lastTimestamp: at });
          return true;
        } catch (err) {
          if (isConflict(err)) continue;
          throw err;
        }
      }
      try {
        await kube.create({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: e.regarding.apiVersion,
            kind: e.regarding.kind,
            namespace,
            name: e.regarding.name,
            ...(e.regarding.uid ? { uid: e.regarding.uid } : {}),
          },
          reason: e.reason,
          message: e.message,
          type: e.type,
          source: { component: e.component },
          reportingComponent: e.component,
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        } as KubeObject);
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        throw err;
      }
    }
    return false;
  } catch {
    // No Events resource, no permission, a server error: the caller logs what it reported instead.
    return false;
  }
}
