// Publishing to an EventBridge bus and nothing else: what the bridge function needs. The SDK is imported on the
// first publish, not when the bundle loads (it is most of a bundle's start-up time: ≈120 ms of ≈230 ms measured),
// and the bus is the deployment's (CloudFormation made it): no CreateEventBus here.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ResourceEvent } from '../events/resource-event.ts';
import { PUT_EVENTS_MAX_BYTES, putEventsChecked } from './eventbridge-publish.ts';
import type { EventBus } from './types.ts';

/** Room left under the 256 KB entry limit for Source, DetailType and the envelope (as EventBridgeBus keeps). */
const ENVELOPE_ROOM_BYTES = 2_048;

export class EventBridgePublisher implements Pick<EventBus, 'name' | 'maxEventBytes' | 'publish'> {
  readonly name = 'eventbridge';
  readonly maxEventBytes = PUT_EVENTS_MAX_BYTES - ENVELOPE_ROOM_BYTES;
  private client: Promise<{ client: EventBridgeClient; sdk: typeof import('@aws-sdk/client-eventbridge') }> | undefined;

  private readonly o: { busName: string; region?: string; publishAttempts?: number };

  constructor(o: { busName: string; region?: string; publishAttempts?: number }) {
    this.o = o;
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    const { client, sdk } = await this.connect();
    await putEventsChecked(events, (e) => e, {
      busName: this.o.busName,
      maxEventBytes: this.maxEventBytes,
      attempts: this.o.publishAttempts ?? 5,
      send: async (entries) => (await client.send(new sdk.PutEventsCommand({ Entries: entries }))).Entries ?? [],
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) (await c).client.destroy();
  }

  private connect() {
    this.client ??= import('@aws-sdk/client-eventbridge').then((sdk) => {
      // The SDK throws "Region is missing" rather than defaulting; the environment's choice is kept when set.
      const region = this.o.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1');
      return { client: new sdk.EventBridgeClient({ region }), sdk };
    });
    return this.client;
  }
}
