// A built function bundle (dist/gcp/machineset.mjs, as `npm run build` makes it) served by the real
// functions-framework CLI, as Cloud Run functions and the Knative Services of infra/knative run it, with the
// embedded API server as the cluster:
// - Google Cloud: the Pub/Sub emulator pushes the bus's messages to the function (target `machineset`);
// - Knative: the in-test Broker delivers through the Triggers of infra/knative/triggers.yaml, as generated
//   (their subscriber pointed at the process), to target `knative-machineset`.
// Either way a MachineSet event published by the real bus adapter makes the function create its Machines.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { bundle, hostBundleName } from '../../scripts/build.ts';
import { toCrd } from '../../shared/api/crd.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { deployedTriggers, KnativeBus } from '../../shared/bus/knative.ts';
import type { KnativeTrigger } from '../../shared/bus/knative-routing.ts';
import { PubSubBus } from '../../shared/bus/pubsub.ts';
import { newResourceEvent, refOf } from '../../shared/events/resource-event.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { connectionFor } from '../support/env.ts';
import { startTestBroker, type TestBroker } from '../support/knative-broker.ts';
import { hasPeer } from '../support/peers.ts';
import { type PubSubEmulator, startPubSubEmulator } from '../support/pubsub-emulator.ts';
import { createAll, NS, sampleObjects } from '../support/sample.ts';
import { type RunningPeer, startPeer } from '../support/spawn-peer.ts';

const ROOT = join(import.meta.dirname, '..', '..');
// Inside the checkout, so the bundle's one external import (the functions-framework) resolves to node_modules.
const OUT = join(ROOT, 'node_modules', '.cache', `capi-fn-ff-${process.pid}`);
const FF = join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');

async function machinesOf(kube: KubeClient, set: string): Promise<KubeObject[]> {
  const list = await kube.list({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' }, { namespace: NS });
  return list.items.filter((m) => m.metadata.labels?.['cluster.x-k8s.io/set-name'] === set);
}

async function eventually<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a built bundle under the functions-framework', () => {
  let api: ApiServer;
  let kubeconfig: string;
  let file: string;
  let kube: KubeClient;
  const peers: RunningPeer[] = [];
  let broker: TestBroker;
  let emulator: PubSubEmulator | undefined;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    // No GCE metadata server here (the Pub/Sub client would probe for one and warn).
    process.env.METADATA_SERVER_DETECTION = 'none';
    kubeconfig = join(OUT, 'kubeconfig');
    broker = await startTestBroker();
    if (hasPeer('gcloud-pubsub-emulator')) emulator = await startPubSubEmulator();
    api = await startApiServer({ crds: allKinds.map((k) => toCrd(k)) });
    await api.writeKubeconfig(kubeconfig);
    kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
    ({ file } = await bundle(
      { platform: 'gcp', name: hostBundleName('machineset'), entry: 'functions/machineset/cloud-functions.ts' },
      OUT,
    ));
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await broker?.stop();
    await emulator?.stop();
    await api?.stop();
    rmSync(OUT, { recursive: true, force: true });
  });

  /** The functions-framework CLI serving `target` from the bundle, with the function's environment. */
  async function serve(target: string, env: NodeJS.ProcessEnv): Promise<RunningPeer> {
    const peer = await startPeer({
      name: `functions-framework ${target}`,
      command: process.execPath,
      args: (port) => [FF, `--source=${file}`, `--target=${target}`, `--port=${port}`],
      readyPath: '/',
      env: { CAPI_FN_KUBECONFIG: kubeconfig, METADATA_SERVER_DETECTION: 'none', ...env },
    });
    peers.push(peer);
    return peer;
  }

  async function machineSetNamed(name: string, replicas: number): Promise<KubeObject> {
    const objs = sampleObjects({ replicas });
    const ms = objs.find((o) => o.kind === 'MachineSet')!;
    ms.metadata.name = name;
    await createAll(
      kube,
      objs.filter((o) => o.kind !== 'MachineSet'),
    );
    return kube.create(ms);
  }

  const addedEvent = (ms: KubeObject) =>
    newResourceEvent({ type: 'io.capifn.resource.added', source: 'test://functions-framework', ref: refOf(ms) });

  describe.skipIf(!hasPeer('gcloud-pubsub-emulator'))('Google Cloud: Pub/Sub push from the emulator', () => {
    it('creates the MachineSet’s Machines from a pushed message', async () => {
      const project = 'capifn-ff';
      const env = {
        PUBSUB_EMULATOR_HOST: emulator!.host,
        GOOGLE_CLOUD_PROJECT: project,
        CAPI_FN_TOPIC: 'capifn-events',
        CAPI_FN_DLQ_TOPIC: 'capifn-dead-letters',
      };
      const fn = await serve('machineset', env);
      const pubsub = new PubSub({ projectId: project, apiEndpoint: emulator!.host });
      const [topic] = await pubsub.createTopic('capifn-events');
      await pubsub.createTopic('capifn-dead-letters');
      await topic.createSubscription('machineset-push', {
        pushConfig: { pushEndpoint: `http://127.0.0.1:${fn.port}/` },
      });
      const ms = await machineSetNamed('ff-pubsub', 2);
      process.env.PUBSUB_EMULATOR_HOST = emulator!.host;
      const bus = new PubSubBus({ projectId: project, topic: 'capifn-events' });
      try {
        await bus.publish([addedEvent(ms)]);
        const machines = await eventually(
          '2 Machines',
          () => machinesOf(kube, 'ff-pubsub'),
          (m) => m.length === 2,
        );
        expect(machines.every((m) => m.metadata.ownerReferences?.[0]?.uid === ms.metadata.uid)).toBe(true);
      } finally {
        await bus.close();
        await pubsub.close();
      }
    });
  });

  describe.skipIf(!hasPeer('gcloud-pubsub-emulator'))('Google Cloud: the bundle’s own Pub/Sub client', () => {
    // The client is loaded on the first publish, from beside the bundle (infra/gcp/package.json installs it): bundled,
    // it looked for its .proto files beside the bundle and failed on __dirname, so requeues and dead letters failed.
    it('dead-letters a malformed message to CAPI_FN_DLQ_TOPIC with the reason', async () => {
      const project = 'capifn-ff-dlq';
      const fn = await serve('machineset', {
        PUBSUB_EMULATOR_HOST: emulator!.host,
        GOOGLE_CLOUD_PROJECT: project,
        CAPI_FN_TOPIC: 'capifn-events',
        CAPI_FN_DLQ_TOPIC: 'capifn-dead-letters',
      });
      const pubsub = new PubSub({ projectId: project, apiEndpoint: emulator!.host });
      try {
        const [topic] = await pubsub.createTopic('capifn-events');
        const [dlq] = await pubsub.createTopic('capifn-dead-letters');
        const [dead] = await dlq.createSubscription('dead-letters');
        await topic.createSubscription('machineset-push', {
          pushConfig: { pushEndpoint: `http://127.0.0.1:${fn.port}/` },
        });
        const received = new Promise<{ data: string; attributes: Record<string, string> }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no dead letter within 60 s')), 60_000);
          dead.on('message', (m: { data: Buffer; attributes: Record<string, string>; ack(): void }) => {
            m.ack();
            clearTimeout(timer);
            resolve({ data: m.data.toString('utf8'), attributes: m.attributes });
          });
          dead.on('error', reject);
        });
        await topic.publishMessage({ data: Buffer.from('{"specversion":"1.0","type":"not a capi-fn event"}') });
        const letter = await received;
        expect(letter.data).toContain('not a capi-fn event');
        expect(letter.attributes.capifnhandler).toBe('machineset');
        expect(letter.attributes.reason).toBeTruthy();
        await dead.close();
      } finally {
        await pubsub.close();
      }
    }, 90_000);
  });

  describe('Knative: the generated Triggers on a Broker', () => {
    it('creates the MachineSet’s Machines from an event the Broker delivers through infra/knative’s Triggers', async () => {
      const fn = await serve('knative-machineset', {
        CAPI_FN_BROKER_URL: broker.ingress('capi-fn-system', 'capi-fn'),
        CAPI_FN_DEAD_LETTER_SINK: broker.deadLetterSink,
      });
      const generated = parseAllDocuments(readFileSync(join(ROOT, 'infra', 'knative', 'triggers.yaml'), 'utf8'))
        .map((d) => d.toJSON() as KnativeTrigger)
        .filter((t) => t.metadata.labels['capi-fn.io/handler'] === 'machineset');
      expect(generated.length).toBeGreaterThan(1);
      await broker.apply(
        generated.map((t) => ({
          ...t,
          spec: {
            ...t.spec,
            subscriber: { uri: `http://127.0.0.1:${fn.port}/` },
            delivery: { ...t.spec.delivery, deadLetterSink: { uri: broker.deadLetterSink } },
          },
        })),
      );
      const ms = await machineSetNamed('ff-knative', 3);
      // The bridge's side: publish-only, as createBus builds it from the Deployment's bus config.
      const bus = new KnativeBus({
        brokerUrl: broker.ingress('capi-fn-system', 'capi-fn'),
        deadLetterSink: broker.deadLetterSink,
        triggers: deployedTriggers,
      });
      await bus.publish([addedEvent(ms)]);
      await eventually(
        '3 Machines',
        () => machinesOf(kube, 'ff-knative'),
        (m) => m.length === 3,
      );
      // A Machine event routes to the MachineSet through its Machine Trigger; converged, it changes nothing.
      const [m] = await machinesOf(kube, 'ff-knative');
      await bus.publish([
        newResourceEvent({ type: 'io.capifn.resource.modified', source: 'test://ff', ref: refOf(m!) }),
      ]);
      await new Promise((r) => setTimeout(r, 500));
      expect(await machinesOf(kube, 'ff-knative')).toHaveLength(3);
      expect(broker.deadLetters()).toEqual([]);
      expect(broker.transportFailures()).toEqual([]);
      expect(broker.stats().dispatched).toBeGreaterThanOrEqual(2);
    });
  });
});
