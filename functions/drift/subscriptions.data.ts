// The handlers' bus subscriptions, as data: the Azure drift check routes each resync to the queues of the
// handlers it wakes. Computed here from the handler declarations; a bundle carries the result
// (scripts/build-time-data.ts), so the drift check's Azure bundle imports no handler.
import type { Subscription } from '../../shared/bus/types.ts';
import { subscriptionOf } from '../../shared/runtime/handler.ts';
import { driftCheckedHandlers } from '../registry.ts';

export function data(): Subscription[] {
  return driftCheckedHandlers().map(subscriptionOf);
}
