// Three vSphere behaviours against vcsim, with its storage policy (PBM) endpoint: a storagePolicyName placed through
// PbmCheckRequirements (and a policy that does not exist named in a condition, no clone); the cloud-init metadata
// CAPV writes to guestinfo.metadata before power-on; and a clone task that fails for good ending the machine with
// CreateError after exactly one clone, its deletion finishing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VSphereClients } from '../../../functions/providers/vsphere/credentials.ts';
import { vsphereProviderHandlers } from '../../../functions/providers/vsphere/handler.ts';
import { CLONE_EVENTS, follow } from '../../../functions/providers/vsphere/port.ts';
import { arr, httpTransport, type Node, type Transport, text } from '../../../functions/providers/vsphere/soap.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { createAll } from '../../support/sample.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import {
  CLUSTER,
  clusterObjects,
  DATACENTER,
  DATASTORE,
  docsTemplateSpec,
  NS,
  observer,
  TEMPLATE,
  TEST_TIMINGS,
  VSPHERE,
  vcsimNodes,
} from './support.ts';

type Condition = { type: string; status: string; reason?: string; message?: string };
type VSM = KubeObject & {
  spec: Record<string, unknown>;
  status?: {
    ready?: boolean;
    failureReason?: string;
    failureMessage?: string;
    vmstate?: string;
    conditions?: Condition[];
  };
};
const CAPI = 'cluster.x-k8s.io/v1beta1';
const POLICY = 'vSAN Default Storage Policy';

describe.skipIf(!hasPeer('vcsim'))(
  'vSphere storage policy, guest metadata and terminal clone failures on vcsim',
  () => {
    let sim: Vcsim;
    let env: CapiEnv;
    let stopNodes: () => Promise<void>;
    let obs: ReturnType<typeof observer>;
    /** VM names whose CloneVM_Task goes to vcsim without its resource pool. */
    const failClonesOf = new Set<string>();

    /** A Machine and its VSphereMachine, named `name`, with the docs' spec and `spec` over it. */
    const machine = async (name: string, spec: Record<string, unknown>) => {
      await createAll(env.kube, [
        {
          apiVersion: VSPHERE,
          kind: 'VSphereMachine',
          metadata: { name, namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
          spec: { ...docsTemplateSpec(sim.server), ...spec },
        } as KubeObject,
        {
          apiVersion: CAPI,
          kind: 'Machine',
          metadata: { name, namespace: NS, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } },
          spec: {
            clusterName: CLUSTER,
            bootstrap: { dataSecretName: 'worker-user-data' },
            infrastructureRef: { apiVersion: VSPHERE, kind: 'VSphereMachine', name, namespace: NS },
          },
        } as KubeObject,
      ]);
    };
    const vsm = (name: string) =>
      env.kube.find<VSM>({ apiVersion: VSPHERE, kind: 'VSphereMachine', namespace: NS, name });
    const clonesOf = async (name: string, from = TEMPLATE) => {
      const template = (await obs.api.findByInventoryPath(`${DATACENTER}/vm/${from}`))!;
      const events = await obs.api.queryEvents({
        entity: template,
        since: new Date(Date.now() - 3_600_000),
        types: CLONE_EVENTS,
      });
      return events.filter((e) => e.type === 'VmBeingClonedEvent' && e.destName === name).length;
    };

    beforeAll(async () => {
      sim = await startVcsim();
      obs = observer(sim);
      const wire = httpTransport({ insecure: true });
      const failWire: Transport = (url, headers, body) => {
        const name = /<CloneVM_Task [^>]*>.*<name>([^<]*)<\/name>/s.exec(body)?.[1];
        return wire(
          url,
          headers,
          name && failClonesOf.has(name) ? body.replace(/<pool type="ResourcePool">[^<]*<\/pool>/, '') : body,
        );
      };
      const clients = new VSphereClients(sim.env, { transport: failWire });
      env = await startCapiEnv({
        providers: () => vsphereProviderHandlers({ client: () => clients, timings: TEST_TIMINGS }),
      });
      stopNodes = vcsimNodes(env.kube, sim);
      await createAll(env.kube, clusterObjects(sim.server));
    }, 300_000);
    afterAll(async () => {
      await stopNodes?.();
      await env?.stop();
      await sim?.stop();
    });

    it('storagePolicyName without a datastore: placed on a datastore the policy accepts, and Running', async () => {
      await machine('policy-a', { datastore: '', storagePolicyName: POLICY });
      const ready = await eventually('policy-a ready', async () => !!(await vsm('policy-a'))?.status?.ready, {
        timeoutMs: 90_000,
      });
      expect(ready).toBe(true);
      const vm = (await obs.vms()).find((v) => v.name === 'policy-a')!;
      const [props] = await obs.api.retrieve([vm.ref], { VirtualMachine: ['datastore'] });
      const on = arr((props?.props.datastore as Node | undefined)?.ManagedObjectReference).map((r) => text(r));
      const ds = (await obs.api.findByInventoryPath(`${DATACENTER}/datastore/${DATASTORE}`))!;
      expect(on).toEqual([ds.value]);
    }, 120_000);

    it('a storage policy vCenter does not have: a condition naming the field, and no clone', async () => {
      await machine('policy-missing', { storagePolicyName: 'platinum' });
      const c = await eventually(
        'StoragePolicyNotFound',
        async () =>
          (await vsm('policy-missing'))?.status?.conditions?.find(
            (x) => x.type === 'InstanceReady' && x.reason === 'StoragePolicyNotFound',
          ) ?? false,
        { timeoutMs: 30_000 },
      );
      expect(c.message).toContain('spec.storagePolicyName "platinum" is not a storage policy of vCenter');
      expect(await clonesOf('policy-missing')).toBe(0);
    }, 60_000);

    it('guestinfo.metadata: the VM’s name and its NIC’s MAC in cloud-init metadata, written before power-on', async () => {
      await machine('meta-a', { network: { devices: [{ networkName: 'VM Network', dhcp4: true }] } });
      await eventually('meta-a ready', async () => !!(await vsm('meta-a'))?.status?.ready, {
        timeoutMs: 90_000,
      });
      const vm = (await obs.vms()).find((v) => v.name === 'meta-a')!;
      expect(vm.extraConfig('guestinfo.metadata.encoding')).toBe('base64');
      const md = Buffer.from(vm.extraConfig('guestinfo.metadata')!, 'base64').toString('utf8');
      const [props] = await obs.api.retrieve([vm.ref], { VirtualMachine: ['config.hardware.device'] });
      const nic = arr((props?.props['config.hardware.device'] as Node | undefined)?.VirtualDevice).find((d) =>
        text(d.macAddress),
      )!;
      expect(md).toContain('instance-id: "meta-a"');
      expect(md).toContain('local-hostname: "meta-a"');
      expect(md).toContain(`macaddress: "${text(nic.macAddress)}"`);
      expect(md).toContain('dhcp4: true');
      expect(md).toMatch(/wait-on-network:\n {2}ipv4: true\n {2}ipv6: false/);
    }, 120_000);

    it('a clone task that fails for good: CreateError on the VSphereMachine and the Machine, one clone only', async () => {
      // vcsim 0.24 cannot fail a clone by itself without crashing (a failed VM create panics it), but it does refuse,
      // in the task, to clone a template with no resource pool: the wire drops this clone's pool (failWire), and the
      // task fails in vcsim with InvalidArgument, read back through TaskInfo as any failed clone is.
      const seed = await obs.clone('rhcos-doomed', {});
      await follow(obs.api, await obs.api.powerOffVM(seed.ref), 5_000);
      await obs.api.markAsTemplate(seed.ref);
      failClonesOf.add('doomed');
      try {
        await machine('doomed', { template: 'rhcos-doomed' });
        const failed = await eventually(
          'doomed failed',
          async () => {
            const o = await vsm('doomed');
            return o?.status?.failureReason ? o : false;
          },
          { timeoutMs: 60_000 },
        );
        expect(failed.status?.failureReason).toBe('CreateError');
        expect(failed.status?.failureMessage).toMatch(
          /^creating the instance failed: InvalidArgument: clone task \S+ failed: .*spec\.location\.pool/,
        );
        expect(failed.status?.failureMessage).toContain('it is not retried');
        const m = await eventually(
          'the Machine Failed',
          async () => {
            const o = await env.kube.find<KubeObject & { status?: { phase?: string; failureReason?: string } }>({
              apiVersion: CAPI,
              kind: 'Machine',
              namespace: NS,
              name: 'doomed',
            });
            return o?.status?.phase === 'Failed' ? o : false;
          },
          { timeoutMs: 30_000 },
        );
        expect(m.status?.failureReason).toBe('CreateError');
        // The wire is whole again: a retry would now succeed, so a second clone would show.
        failClonesOf.delete('doomed');
        // Well past the test lease and retry delays: still the one clone, and no VM.
        await new Promise((r) => setTimeout(r, 4_000));
        expect(await clonesOf('doomed', 'rhcos-doomed')).toBe(1);
        expect((await obs.vms()).some((v) => v.name === 'doomed')).toBe(false);
        await env.kube.delete({ apiVersion: CAPI, kind: 'Machine', namespace: NS, name: 'doomed' });
        await eventually('doomed deleted', async () => !(await vsm('doomed')), { timeoutMs: 30_000 });
      } finally {
        failClonesOf.delete('doomed');
      }
    }, 120_000);
  },
);
