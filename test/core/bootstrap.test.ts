// A MachineSet whose template names a bootstrap template (spec.template.spec.bootstrap.configRef), as upstream users
// with the kubeadm bootstrap provider write it: each Machine gets its own bootstrap config cloned from the template
// (same name as the Machine, cloned-from annotations, owned by its Machine), the Machine waits in Pending until the
// bootstrap provider reports the config ready, then takes its data secret and runs; deleting the Machine deletes its
// config. The test plays the bootstrap provider: it installs the kubeadm CRDs and marks the configs ready.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { foreignCrd } from '../support/foreign-crd.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINE, MACHINESET, machines, scaleTo } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const GROUP = 'bootstrap.cluster.x-k8s.io';
const CONFIG = { apiVersion: `${GROUP}/v1beta1`, kind: 'KubeadmConfig' };
const TEMPLATE = { apiVersion: `${GROUP}/v1beta1`, kind: 'KubeadmConfigTemplate' };
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

interface Config extends KubeObject {
  status?: { ready?: boolean; dataSecretName?: string };
}

const configs = async () => (await env!.kube.listAll<Config>(CONFIG, { namespace: NS })).items;

describe('bootstrap templates', () => {
  it('clones a bootstrap config per Machine, waits for it, and deletes it with the Machine', {
    timeout: 150_000,
  }, async () => {
    env = await startCapiEnv();
    await env.kube.create(foreignCrd(GROUP, 'KubeadmConfig', 'kubeadmconfigs'));
    await env.kube.create(foreignCrd(GROUP, 'KubeadmConfigTemplate', 'kubeadmconfigtemplates'));
    await eventually('kubeadm CRDs served', async () => {
      try {
        await env!.kube.list(CONFIG, { namespace: NS });
        return true;
      } catch {
        return false;
      }
    });
    await createAll(env.kube, sampleObjects({ replicas: 0 }));
    await env.kube.create({
      ...TEMPLATE,
      metadata: { name: 'workers-kubeadm', namespace: NS },
      spec: {
        template: {
          metadata: { labels: { 'bootstrap.example.com/flavour': 'kubeadm' } },
          spec: { joinConfiguration: { nodeRegistration: { kubeletExtraArgs: { 'node-labels': 'pool=workers' } } } },
        },
      },
    });
    await env.kube.patch(
      { ...MACHINESET, namespace: NS, name: MS },
      {
        spec: {
          template: {
            spec: {
              bootstrap: {
                configRef: { apiVersion: TEMPLATE.apiVersion, kind: TEMPLATE.kind, name: 'workers-kubeadm' },
                dataSecretName: null,
              },
            },
          },
        },
      },
      { type: 'merge' },
    );
    await scaleTo(env.kube, MS, 2);

    // One config per Machine, cloned from the template and taken over by its Machine; the Machines wait for them.
    const pending = await eventually('2 Machines, each with its own KubeadmConfig, owned by it', async () => {
      const ms = await machines(env!.kube);
      const cs = await configs();
      if (ms.length !== 2 || cs.length !== 2) return false;
      for (const m of ms) {
        const c = cs.find((x) => x.metadata.name === m.metadata.name);
        const owner = c?.metadata.ownerReferences?.find((r) => r.controller);
        if (owner?.uid !== m.metadata.uid) return false;
        if (m.spec.bootstrap.configRef?.kind !== 'KubeadmConfig') return false;
      }
      return ms;
    });
    for (const m of pending) {
      const c = (await configs()).find((x) => x.metadata.name === m.metadata.name)!;
      expect(c.spec).toEqual({
        joinConfiguration: { nodeRegistration: { kubeletExtraArgs: { 'node-labels': 'pool=workers' } } },
      });
      expect(c.metadata.labels).toMatchObject({
        'bootstrap.example.com/flavour': 'kubeadm',
        'cluster.x-k8s.io/set-name': MS,
        'cluster.x-k8s.io/cluster-name': CLUSTER,
      });
      expect(c.metadata.annotations).toMatchObject({
        'cluster.x-k8s.io/cloned-from-name': 'workers-kubeadm',
        'cluster.x-k8s.io/cloned-from-groupkind': `KubeadmConfigTemplate.${GROUP}`,
      });
      await eventually(`${m.metadata.name} Pending, waiting for its data secret`, async () => {
        const fresh = await env!.kube.get<Machine>({ ...MACHINE, namespace: NS, name: m.metadata.name! });
        const boot = fresh.status?.conditions?.find((c) => c.type === 'BootstrapReady');
        return (
          fresh.status?.phase === 'Pending' && !fresh.status.bootstrapReady && boot?.reason === 'WaitingForDataSecret'
        );
      });
    }

    // The bootstrap provider writes the data secrets and reports ready: the Machines take them and run.
    for (const c of await configs()) {
      const secret = `${c.metadata.name}-bootstrap`;
      await env.kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, namespace: NS },
        stringData: { value: '{"ignition":{"version":"3.2.0"}}', format: 'ignition' },
      } as KubeObject);
      // Read fresh each try: the Machine handler may be writing the config (ownership) at the same time.
      await eventually(`${c.metadata.name} marked ready`, async () => {
        const live = await env!.kube.get<Config>({ ...CONFIG, namespace: NS, name: c.metadata.name! });
        try {
          await env!.kube.updateStatus({ ...live, status: { ready: true, dataSecretName: secret } });
          return true;
        } catch {
          return false;
        }
      });
    }
    const running = await eventually(
      '2 Running Machines with the configs’ data secrets',
      async () => {
        const ms = await machines(env!.kube);
        return ms.length === 2 &&
          ms.every(
            (m) => m.status?.phase === 'Running' && m.spec.bootstrap.dataSecretName === `${m.metadata.name}-bootstrap`,
          )
          ? ms
          : false;
      },
      { timeoutMs: 90_000 },
    );
    expect(running.every((m) => m.status?.bootstrapReady)).toBe(true);

    // Scaling down deletes the Machines and, with them, their bootstrap configs.
    await scaleTo(env.kube, MS, 0);
    await eventually(
      'no Machines and no KubeadmConfigs left',
      async () => (await machines(env!.kube)).length === 0 && (await configs()).length === 0,
      { timeoutMs: 90_000 },
    );
    expect(await env.bus.deadLetters()).toEqual([]);
  });
});
