// The Knative bus (CloudEvents over HTTP to a Broker) against the in-test broker, which fans out by the
// very Trigger manifests the adapter applies: the bus contract, the Triggers' routing against the routing
// rule every bus implements, and the Broker's own retries of a subscriber that cannot answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnativeBus } from '../../shared/bus/knative.ts';
import { knativeTriggersFor, triggersRoute } from '../../shared/bus/knative-routing.ts';
import { matchesRouting, type RoutingFields } from '../../shared/bus/routing.ts';
import type { Subscription } from '../../shared/bus/types.ts';
import { startTestBroker, type TestBroker } from '../support/knative-broker.ts';
import { busContract, type ContractFixture, makeEvent, Recorder, unique } from './contract.ts';

describe('Knative bus (in-test broker)', () => {
  let broker: TestBroker;
  const buses: KnativeBus[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await broker?.stop();
  });

  function newBus(): KnativeBus {
    const bus = new KnativeBus({
      brokerUrl: broker.ingress(),
      deadLetterSink: broker.deadLetterSink,
      readDeadLetters: async (h) => broker.deadLetters(h),
      triggers: broker,
      maxAttempts: 3,
      backoff: { baseMs: 100, maxMs: 100 },
      holdMaxMs: 2_000,
    });
    buses.push(bus);
    return bus;
  }

  describe('contract', () => {
    busContract(
      (): ContractFixture => ({
        bus: newBus(),
        overLimit: { count: 60 },
        maxAttempts: 3,
        delayMs: 800,
        waitMs: 10_000,
        flagsInRuntime: true,
      }),
    );
  });

  it('routes through its Triggers exactly as the routing rule does, for every combination of fields', () => {
    const subs: Subscription[] = [
      {
        handler: 'machine',
        kinds: [
          { group: 'cluster.x-k8s.io', kind: 'Machine' },
          { group: '', kind: 'Node' },
        ],
        statusChanges: true,
      },
      { handler: 'machineset', kinds: [{ group: 'cluster.x-k8s.io', kind: 'Machine' }], statusChanges: false },
      {
        // Metadata-only changes skipped for one kind (the Machine handler's infrastructure machines).
        handler: 'meta',
        kinds: [
          { group: 'cluster.x-k8s.io', kind: 'Machine', metadataChanges: false },
          { group: '', kind: 'Node' },
        ],
        statusChanges: true,
      },
      {
        // Only some event types of a kind: one Trigger per type.
        handler: 'cluster',
        kinds: [
          { group: 'cluster.x-k8s.io', kind: 'Machine', types: ['io.capifn.resource.deleted'] },
          { group: '', kind: 'Node', types: ['io.capifn.resource.added', 'io.capifn.resource.modified'] },
        ],
        statusChanges: false,
      },
    ];
    const fields: RoutingFields[] = [];
    for (const target of [undefined, 'machine', 'machineset', 'other'])
      for (const type of ['io.capifn.resource.modified', 'io.capifn.resource.deleted', 'io.capifn.resource.added'])
        for (const [statusOnly, metaOnly] of type === 'io.capifn.resource.modified'
          ? [
              [false, false],
              [true, false],
              [false, true],
            ]
          : [[false, false]])
          for (const [group, kind] of [
            ['cluster.x-k8s.io', 'Machine'],
            ['', 'Node'],
            ['', 'Machine'],
            ['cluster.x-k8s.io', 'Node'],
            [undefined, undefined],
          ] as const) {
            const f: RoutingFields = { statusOnly: statusOnly!, metaOnly: metaOnly!, type, absent: new Set() };
            if (target) f.target = target;
            if (group !== undefined) f.group = group;
            if (kind !== undefined) f.kind = kind;
            fields.push(f);
          }
    let compared = 0;
    for (const sub of subs)
      for (const f of fields) {
        // Exact but for metadata-only flags, which the Triggers let through and the runtime drops.
        const viaTriggers = triggersRoute(knativeTriggersFor(sub), f);
        expect(viaTriggers, `${sub.handler} ${JSON.stringify(f)}`).toBe(matchesRouting({ ...f, metaOnly: false }, sub));
        if (matchesRouting(f, sub)) expect(viaTriggers).toBe(true);
        compared++;
      }
    expect(compared).toBe(4 * 4 * 5 * 5);
  });

  it('lets a watch’s `whenExists` through to the runtime: the Triggers never skip what the rule sends, only widen', () => {
    const sub: Subscription = {
      handler: 'machinehealthcheck',
      kinds: [
        {
          group: 'cluster.x-k8s.io',
          kind: 'Machine',
          whenExists: { group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck' },
        },
      ],
      statusChanges: true,
    };
    const routes = knativeTriggersFor(sub);
    const base = {
      group: 'cluster.x-k8s.io',
      kind: 'Machine',
      type: 'io.capifn.resource.modified',
      statusOnly: false,
      metaOnly: false,
    };
    const flagged: RoutingFields = { ...base, absent: new Set(['capifnnonemachinehea']) };
    const unflagged: RoutingFields = { ...base, absent: new Set() };
    expect(matchesRouting(unflagged, sub)).toBe(true);
    expect(triggersRoute(routes, unflagged)).toBe(true);
    // The rule skips it; a Trigger cannot test an absent attribute, so the function's runtime drops it.
    expect(matchesRouting(flagged, sub)).toBe(false);
    expect(triggersRoute(routes, flagged)).toBe(true);
  });

  it('leaves a subscriber that cannot answer to the Trigger’s delivery policy: retried, then its dead-letter sink', async () => {
    const bus = newBus();
    const rec = new Recorder();
    const handler = unique('tf');
    const kind = unique('Kind');
    const consumer = await bus.subscribe(
      { handler, kinds: [{ group: 'cluster.x-k8s.io', kind }], statusChanges: true },
      rec.handler(handler),
    );
    // Its Triggers now point at a port nothing listens on.
    for (const t of broker.triggers().filter((t) => t.metadata.labels['capi-fn.io/handler'] === handler))
      t.spec.subscriber = { uri: 'http://127.0.0.1:9/' };
    for (const t of broker.triggers())
      if (t.metadata.labels['capi-fn.io/handler'] === handler) t.spec.delivery.backoffDelay = 'PT0.01S';
    try {
      const e = makeEvent({ kind, group: 'cluster.x-k8s.io' });
      await bus.publish([e]);
      const deadline = Date.now() + 10_000;
      while (!broker.transportFailures().some((f) => f.id === e.id) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const failure = broker.transportFailures().find((f) => f.id === e.id)!;
      expect(failure).toMatchObject({ knativeerrorcode: '0', knativeerrordest: 'http://127.0.0.1:9/' });
      expect(rec.of(handler)).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('refuses a raw payload that is not a CloudEvent object before it reaches the broker', async () => {
    await expect(newBus().publishRaw(['not an object'])).rejects.toThrow(/CloudEvents only/);
    expect(broker.stats().rejected).toBe(0);
  });
});
