// cloneMode linkedClone against vcsim: with a snapshot on the template the VM hangs off it (the disk is not grown,
// and the DiskResized condition says diskGiB was ignored); without one it falls back to a full clone, as CAPV does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VSphereClients } from '../../../functions/providers/vsphere/credentials.ts';
import { vsphereProviderHandlers } from '../../../functions/providers/vsphere/handler.ts';
import { follow } from '../../../functions/providers/vsphere/port.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import {
  CLUSTER,
  clusterObjects,
  DATACENTER,
  docsTemplateSpec,
  NS,
  observer,
  TEMPLATE,
  VSPHERE,
  vcsimNodes,
} from './support.ts';

type Status = {
  cloneMode?: string;
  ready?: boolean;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
};

describe.skipIf(!hasPeer('vcsim'))('vSphere linked clones against vcsim', () => {
  let sim: Vcsim;
  let env: CapiEnv;
  let stopNodes: () => Promise<void>;
  let obs: ReturnType<typeof observer>;

  beforeAll(async () => {
    sim = await startVcsim();
    obs = observer(sim);
    // The template's snapshot, as an administrator makes one for linked clones.
    const template = (await obs.api.findByInventoryPath(`${DATACENTER}/vm/${TEMPLATE}`))!;
    expect((await follow(obs.api, await obs.api.createSnapshot(template, 'rhcos-base'), 5_000)).state).toBe('success');
    const clients = new VSphereClients(sim.env);
    env = await startCapiEnv({
      providers: () => vsphereProviderHandlers({ client: () => clients, timings: { transitionPollMs: 200 } }),
    });
    stopNodes = vcsimNodes(env.kube, sim);
    const template4 = (name: string, spec: Record<string, unknown>) =>
      ({
        apiVersion: VSPHERE,
        kind: 'VSphereMachineTemplate',
        metadata: { name, namespace: NS },
        spec: { template: { spec: { ...docsTemplateSpec(sim.server), ...spec } } },
      }) as KubeObject;
    await createAll(env.kube, [
      ...clusterObjects(sim.server),
      template4('linked', { cloneMode: 'linkedClone', snapshot: 'rhcos-base', diskGiB: 128 }),
      machineSet({
        namespace: NS,
        cluster: CLUSTER,
        name: 'linked',
        template: 'linked',
        replicas: 1,
        templateKind: 'VSphereMachineTemplate',
      }),
    ]);
  }, 300_000);
  afterAll(async () => {
    await stopNodes?.();
    await env?.stop();
    await sim?.stop();
  });

  it('hangs off the named snapshot, keeps the template’s disk, and says diskGiB was ignored', async () => {
    const vsm = await eventually(
      'a ready linked-clone VSphereMachine',
      async () => {
        const items = (
          await env.kube.listAll<KubeObject & { status?: Status }>(
            { apiVersion: VSPHERE, kind: 'VSphereMachine' },
            { namespace: NS },
          )
        ).items;
        return items.length === 1 && items[0]!.status?.ready ? items[0]! : false;
      },
      { timeoutMs: 90_000 },
    );
    expect(vsm.status?.cloneMode).toBe('linkedClone');
    expect(vsm.status?.conditions?.find((c) => c.type === 'DiskResized')).toMatchObject({
      status: 'False',
      reason: 'LinkedCloneIgnoresDiskGiB',
      message: expect.stringContaining('spec.diskGiB 128 is ignored'),
    });
    // Ready all the same: the condition is not part of the Ready summary.
    expect(vsm.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const vm = (await obs.vms()).find((v) => v.name === vsm.metadata.name)!;
    const template = (await obs.vms()).find((v) => v.name === TEMPLATE)!;
    expect(vm.diskGiB).toBe(template.diskGiB);
    expect(vm.diskGiB).not.toBe(128);
  }, 120_000);
});
