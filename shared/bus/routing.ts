import {
  apiGroupOf,
  type ResourceEvent,
  STATUS_ONLY_EXTENSION,
  TARGET_HANDLER_EXTENSION,
} from '../events/resource-event.ts';
import type { Subscription } from './types.ts';

/** The routing rule every adapter applies (and every cloud rule/filter is generated from). */
export function matchesSubscription(event: ResourceEvent, sub: Subscription): boolean {
  const target = event[TARGET_HANDLER_EXTENSION];
  if (target) return target === sub.handler;
  if (event.type === 'io.capifn.resource.modified' && event[STATUS_ONLY_EXTENSION] === 'true' && !sub.statusChanges) {
    return false;
  }
  const group = apiGroupOf(event.data.ref.apiVersion);
  return sub.kinds.some((k) => k.kind === event.data.ref.kind && k.group === group);
}
