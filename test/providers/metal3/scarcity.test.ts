// Bare metal has a fixed number of hosts: the docs' sample on two seeded hosts, scaled to three, leaves the third
// Machine waiting with a condition that counts the hosts, and it proceeds once a host is added; scaling down
// returns the hosts to `available` for the next claim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BmoSimulator,
  SIMULATE_ERROR_ANNOTATION,
  seedHosts,
  startBmoSimulator,
} from '../../../functions/providers/metal3/bmo-simulator.ts';
import { metal3ProviderHandlers } from '../../../functions/providers/metal3/handler.ts';
import { BMH } from '../../../functions/providers/metal3/hosts.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import { type BareMetalHost, BMHAnnotations, type Metal3Machine } from '../../../shared/api/providers/metal3.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { metal3Cluster, userDataSecret } from './support.ts';

const NS = 'openshift-cluster-api';
const CLUSTER = 'ocp-bm-5k8vj';
const SET = `${CLUSTER}-worker-0`;
const M3M = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'Metal3Machine' };

describe('Metal3 provider: hosts are scarce', () => {
  let env: CapiEnv;
  let bmo: BmoSimulator;
  beforeAll(async () => {
    env = await startCapiEnv({
      providers: () =>
        metal3ProviderHandlers({ timings: { badInputRetryMs: 300, transitionPollMs: 200, terminatePollMs: 200 } }),
    });
    bmo = startBmoSimulator({ kube: env.kube, namespace: NS, stepMs: 50, intervalMs: 40 });
    await env.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await seedHosts(env.kube, { namespace: NS, count: 2, prefix: 'worker-host' });
    // The docs' objects: the user data copied into openshift-cluster-api, the template with customDeploy.
    await createAll(env.kube, [
      userDataSecret('worker-user-data-managed', NS),
      ...metal3Cluster(CLUSTER, NS),
      {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'Metal3MachineTemplate',
        metadata: { name: `${CLUSTER}-worker`, namespace: NS },
        spec: {
          template: {
            spec: { customDeploy: { method: 'install_coreos' }, userData: { name: 'worker-user-data-managed' } },
          },
        },
      },
    ]);
    const ms = machineSet({
      namespace: NS,
      cluster: CLUSTER,
      name: SET,
      template: `${CLUSTER}-worker`,
      replicas: 2,
      templateKind: 'Metal3MachineTemplate',
    });
    (
      ms.spec as { template: { spec: { bootstrap: { dataSecretName: string } } } }
    ).template.spec.bootstrap.dataSecretName = 'worker-user-data-managed';
    await createAll(env.kube, [ms]);
  });
  afterAll(async () => {
    await bmo?.stop();
    await env?.stop();
  });

  const machines = async () =>
    (await env.kube.listAll<Machine>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' }, { namespace: NS }))
      .items;
  const hosts = async () => (await env.kube.listAll<BareMetalHost>(BMH, { namespace: NS })).items;
  const running = async (n: number) =>
    eventually(`${n} Running machines`, async () => {
      const ms = await machines();
      return ms.filter((m) => m.status?.phase === 'Running').length === n && ms.length === n ? ms : false;
    });
  const scale = async (n: number) =>
    env.kube.patch(
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: NS, name: SET },
      { spec: { replicas: n } },
      { type: 'merge' },
    );

  it('the docs’ sample runs on the seeded hosts, each host claimed once', async () => {
    const ms = await running(2);
    const hs = await hosts();
    expect(hs.map((h) => h.status?.provisioning?.state)).toEqual(['provisioned', 'provisioned']);
    expect(new Set(hs.map((h) => h.spec?.consumerRef?.name)).size).toBe(2);
    for (const m of ms) expect(m.spec.providerID).toMatch(new RegExp(`^metal3://${NS}/worker-host-[01]/`));
    expect(
      hs.every(
        (h) =>
          h.spec?.customDeploy?.method === 'install_coreos' && h.spec.userData?.name === 'worker-user-data-managed',
      ),
    ).toBe(true);
  });

  it('a third Machine waits with a condition counting the hosts, and proceeds once a host is added', async () => {
    await scale(3);
    const waiting = await eventually('a Metal3Machine waiting for a host', async () => {
      const ms = (await env.kube.listAll<Metal3Machine>(M3M, { namespace: NS })).items;
      return (
        ms.find((m) => m.status?.conditions?.find((c) => c.type === 'InstanceReady')?.reason === 'NoHostAvailable') ??
        false
      );
    });
    const c = waiting.status!.conditions!.find((x) => x.type === 'InstanceReady')!;
    expect(c.severity).toBe('Warning');
    expect(c.message).toContain(
      '2 BareMetalHosts match spec.hostSelector, none is available (2 claimed (provisioned))',
    );
    await seedHosts(env.kube, { namespace: NS, count: 3, prefix: 'worker-host' });
    await running(3);
    expect((await hosts()).filter((h) => h.spec?.consumerRef).length).toBe(3);
  });

  it('scaling down deprovisions and releases the hosts for the next claim', async () => {
    await scale(1);
    await running(1);
    await eventually('two hosts available and unclaimed again', async () => {
      const hs = await hosts();
      const free = hs.filter((h) => !h.spec?.consumerRef && h.status?.provisioning?.state === 'available');
      return (
        free.length === 2 &&
        free.every(
          (h) =>
            !h.spec?.image &&
            !h.spec?.customDeploy &&
            !h.spec?.userData &&
            !h.metadata.labels?.['capi-fn.io/machine-uid'],
        )
      );
    });
  });

  it('a host that fails provisioning fails its Machine with the host’s error', async () => {
    for (const h of await hosts()) {
      if (h.spec?.consumerRef) continue;
      await env.kube.patch(
        { ...BMH, namespace: NS, name: h.metadata.name! },
        { metadata: { annotations: { [SIMULATE_ERROR_ANNOTATION]: 'provisioning' } } },
        { type: 'merge' },
      );
    }
    await scale(2);
    const failed = await eventually(
      'a Failed Machine',
      async () => (await machines()).find((m) => m.status?.phase === 'Failed') ?? false,
    );
    expect(failed.status?.failureMessage).toContain('provisioning error: simulated provisioning failure');
  });

  it('a paused host is left alone by the baremetal-operator and by claims until the annotation goes', async () => {
    await seedHosts(env.kube, {
      namespace: NS,
      count: 1,
      prefix: 'paused-host',
      annotations: { [BMHAnnotations.paused]: 'maintenance' },
    });
    await seedHosts(env.kube, { namespace: NS, count: 1, prefix: 'fresh-host' });
    await eventually('the unpaused host seeded with it is available', async () =>
      (await hosts()).some((h) => h.metadata.name === 'fresh-host-0' && h.status?.provisioning?.state === 'available'),
    );
    const paused = (await hosts()).find((h) => h.metadata.name === 'paused-host-0')!;
    expect(paused.status?.provisioning?.state ?? '').toBe('');
    expect(paused.spec?.consumerRef).toBeUndefined();
    await env.kube.patch(
      { ...BMH, namespace: NS, name: 'paused-host-0' },
      { metadata: { annotations: { [BMHAnnotations.paused]: null } } },
      { type: 'merge' },
    );
    await eventually('the host moves once unpaused', async () =>
      (await hosts()).some((h) => h.metadata.name === 'paused-host-0' && h.status?.provisioning?.state),
    );
  });
});
