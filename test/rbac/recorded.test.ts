// The generated roles hold what the functions really do: each scenario runs real handlers against the embedded API
// server through the fault ledger's recording transport, and every request a deployed function made must be one its
// generated rules allow (with the scenario's namespace as the workload namespace). A call missing from a handler's
// `reads`/`writes` fails here, not in a customer's cluster as a 403.
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../functions/bridge/bridge.ts';
import { deployedWatchedKinds } from '../../functions/bridge/deployed.ts';
import { runDriftCheck } from '../../functions/drift/drift.ts';
import { seedOpenShiftObjects } from '../../functions/operator/index.ts';
import { driftCheckedHandlers } from '../../functions/registry.ts';
import { infrastructureContext } from '../../functions/webhooks/context.ts';
import { webhookTokens } from '../../functions/webhooks/token.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { silentLogger } from '../../shared/runtime/logger.ts';
import { watchedKinds } from '../../shared/runtime/watched-kinds.ts';
import { scaleWalk } from '../core/observe.ts';
import { type OperatorEnv, settle, startOperatorEnv, summary, waitForOperator } from '../operator/support.ts';
import { type CapiEnv, connectionFor, eventually, startCapiEnv } from '../support/env.ts';
import { deliveryContext } from '../support/faults.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { apiCallOf, describeOutside, outsideRules } from './recorded.ts';

const CLUSTER_REF = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster' };
let env: CapiEnv | OperatorEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

function expectWithinRules(e: CapiEnv, functions: string[]) {
  const { outside, checked } = outsideRules(e.ledger.requests, { workloadNamespaces: [NS] });
  expect(describeOutside(outside)).toEqual([]);
  // The scenario reached every function it is meant to hold, so an empty list above means something.
  for (const f of functions) expect(checked.get(f) ?? 0, `${f} made no request`).toBeGreaterThan(0);
}

/** Runs `fn` as deployed function `handler`, its requests recorded under that name. */
function as<T>(handler: string, fn: () => Promise<T>): Promise<T> {
  return deliveryContext.run({ handler, attempt: 1, calls: 0 }, fn);
}

describe('request classification', () => {
  it('reads verbs, groups, subresources, namespaces and names off the path, and skips discovery', () => {
    const call = (method: string, path: string, stream = false) => apiCallOf({ method, path, stream });
    expect(call('GET', '/apis/cluster.x-k8s.io/v1beta1/namespaces/a/machines?limit=500')).toEqual({
      verb: 'list',
      group: 'cluster.x-k8s.io',
      resource: 'machines',
      namespace: 'a',
      name: undefined,
    });
    expect(call('GET', '/api/v1/nodes?watch=true', true)).toMatchObject({ verb: 'watch', resource: 'nodes' });
    expect(call('POST', '/api/v1/namespaces/a/pods/p/eviction')).toMatchObject({
      verb: 'create',
      resource: 'pods/eviction',
      name: 'p',
    });
    expect(call('PUT', '/apis/g/v1/namespaces/a/things/t/status')).toMatchObject({
      verb: 'update',
      resource: 'things/status',
    });
    expect(call('GET', '/api/v1/namespaces/openshift-cluster-api')).toEqual({
      verb: 'get',
      group: '',
      resource: 'namespaces',
      namespace: undefined,
      name: 'openshift-cluster-api',
    });
    expect(call('DELETE', '/api/v1/namespaces/a/secrets')).toMatchObject({ verb: 'deletecollection' });
    expect(call('GET', '/apis/cluster.x-k8s.io/v1beta1')).toBeUndefined();
  });

  it('fails a call outside the rules (the check itself works)', () => {
    const requests = [
      { handler: 'machineset', method: 'GET', path: `/api/v1/namespaces/${NS}/secrets/x`, stream: false },
      { handler: 'machineset', method: 'GET', path: `/api/v1/namespaces/${NS}/pods`, stream: false },
      { handler: 'local-machine', method: 'GET', path: '/api/v1/secrets', stream: false },
    ];
    const { outside } = outsideRules(requests, { workloadNamespaces: [NS] });
    expect(describeOutside(outside)).toEqual([
      `machineset: get secrets.core in ${NS} (x) — GET /api/v1/namespaces/${NS}/secrets/x`,
      `machineset: list pods.core in ${NS} — GET /api/v1/namespaces/${NS}/pods`,
    ]);
  });
});

describe('core handlers: scale up and down, then delete the Cluster', () => {
  it('cluster, machineset and machine stay within their generated rules', async () => {
    const e = await startCapiEnv();
    env = e;
    await createAll(e.kube, sampleObjects({ replicas: 0 }));
    await scaleWalk(e, `${CLUSTER}-worker-local-a`, [0, 3, 1]);
    await e.kube.delete({ ...CLUSTER_REF, namespace: NS, name: CLUSTER });
    await eventually(
      'the Cluster and its machines gone',
      async () => !(await e.kube.find({ ...CLUSTER_REF, namespace: NS, name: CLUSTER })),
      { timeoutMs: 60_000 },
    );
    expectWithinRules(e, ['cluster', 'machineset', 'machine']);
  }, 120_000);
});

describe('drift, bridge and webhooks', () => {
  it('the drift check (resync and an orphan Event), a bridge pass and an admission context read stay within their rules', async () => {
    const e = await startCapiEnv();
    env = e;
    await createAll(e.kube, sampleObjects({ replicas: 1 }));
    const kube = new KubeClient(e.ledger.transport(new HttpsTransport(connectionFor(e.api))));
    const published: unknown[] = [];
    const cluster = { ...CLUSTER_REF, namespace: NS, name: CLUSTER };
    const report = await as('drift', () =>
      runDriftCheck({
        kube,
        bus: { publish: async (events) => void published.push(...events) },
        kinds: watchedKinds(driftCheckedHandlers()),
        source: 'test',
        log: silentLogger,
        scanners: [
          {
            provider: 'test',
            clusterName: CLUSTER,
            cluster,
            listOwned: async () => [{ id: 'i-1', machineUid: 'gone', description: 'i-1' }],
          },
        ],
        orphanGraceMs: 0,
      }),
    );
    expect(report.orphans).toHaveLength(1);
    expect(published.length).toBeGreaterThan(0);

    await as('bridge', async () => {
      const bridge = new Bridge({
        kube,
        bus: { publish: async () => {} } as never,
        kinds: deployedWatchedKinds(),
        source: 'test',
        checkpoint: { namespace: NS, name: 'capi-fn-bridge' },
        log: silentLogger,
      });
      await bridge.start();
      await bridge.stop();
    });

    await as('webhooks', async () => {
      await infrastructureContext(kube)({ fresh: true });
      await webhookTokens(kube).accepts('not-a-token');
    });
    expectWithinRules(e, ['drift', 'bridge', 'webhooks']);
  }, 60_000);
});

describe('the Cluster CAPI Operator on the embedded default', () => {
  it('install, Cluster and infrastructure cluster, secrets and webhooks stay within its rules', async () => {
    const e = await startOperatorEnv({ webhooks: true });
    env = e;
    await seedOpenShiftObjects(e.kube, {
      platform: 'Local',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: 'capi-fn-local',
      apiServerURL: e.api.url,
    });
    const converged = 'Available=True Progressing=False Degraded=False Upgradeable=False';
    await waitForOperator(e, converged, (c) => summary(c) === converged);
    await settle(e);
    expectWithinRules(e, ['cluster-capi-operator']);
  }, 120_000);
});
