// CAPM3's rendered host data end to end, against the embedded API server and the simulated baremetal-operator:
// a Metal3MachineTemplate naming a Metal3DataTemplate gives each Machine a claim, a Metal3Data with an index
// unique in the template and two Secrets (metaData, network_data.json) rendered from the claimed host, which
// then provisions with them. Deleting a Machine collects its claim, data and Secrets and frees the index; a
// template that cannot render for a host says which field, and the Machine proceeds once it is fixed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type BmoSimulator, seedHosts, startBmoSimulator } from '../../../functions/providers/metal3/bmo-simulator.ts';
import { ensureRenderedData, M3D, M3DC, M3DT } from '../../../functions/providers/metal3/data.ts';
import { metal3ProviderHandlers } from '../../../functions/providers/metal3/handler.ts';
import { BMH } from '../../../functions/providers/metal3/hosts.ts';
import type { Machine } from '../../../shared/api/capi/machine.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { BareMetalHost, Metal3Machine } from '../../../shared/api/providers/metal3.ts';
import type { Metal3Data, Metal3DataTemplate } from '../../../shared/api/providers/metal3-data.ts';
import { KubeClient } from '../../../shared/kube/client.ts';
import { HttpsTransport } from '../../../shared/kube/transport.ts';
import { type CapiEnv, connectionFor, eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, machineSet } from '../../support/sample.ts';
import { metal3Cluster, userDataSecret } from './support.ts';

const NS = 'openshift-cluster-api';
const CLUSTER = 'ocp-bm-d4t4x';
const M3M = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'Metal3Machine' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };

function template(name: string, nic: string) {
  return {
    ...M3DT,
    metadata: { name, namespace: NS },
    spec: {
      clusterName: CLUSTER,
      metaData: {
        strings: [{ key: 'role', value: 'worker' }],
        objectNames: [{ key: 'local-hostname', object: 'baremetalhost' }],
        indexes: [{ key: 'worker-index', prefix: 'w-' }],
        fromHostInterfaces: [{ key: 'boot-mac', interface: nic }],
      },
      networkData: {
        links: { ethernets: [{ type: 'phy', id: nic, macAddress: { fromHostInterface: nic } }] },
        networks: { ipv4DHCP: [{ id: 'provisioning', link: nic }] },
        services: { dns: ['192.168.111.1'] },
      },
    },
  };
}

function setWith(name: string, dataTemplate: string, replicas: number) {
  const ms = machineSet({
    namespace: NS,
    cluster: CLUSTER,
    name,
    template: name,
    replicas,
    templateKind: 'Metal3MachineTemplate',
  });
  (
    ms.spec as { template: { spec: { bootstrap: { dataSecretName: string } } } }
  ).template.spec.bootstrap.dataSecretName = 'worker-user-data-managed';
  return [
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'Metal3MachineTemplate',
      metadata: { name, namespace: NS },
      spec: {
        template: {
          spec: {
            customDeploy: { method: 'install_coreos' },
            userData: { name: 'worker-user-data-managed' },
            dataTemplate: { name: dataTemplate },
            hostSelector: { matchLabels: { set: name } },
          },
        },
      },
    },
    ms,
  ];
}

describe('Metal3 provider: Metal3DataTemplate', () => {
  let env: CapiEnv;
  let bmo: BmoSimulator;
  beforeAll(async () => {
    env = await startCapiEnv({
      providers: () =>
        metal3ProviderHandlers({ timings: { badInputRetryMs: 300, transitionPollMs: 200, terminatePollMs: 200 } }),
    });
    bmo = startBmoSimulator({ kube: env.kube, namespace: NS, stepMs: 50, intervalMs: 40 });
    await env.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await seedHosts(env.kube, { namespace: NS, count: 2, prefix: 'good-host', labels: { set: `${CLUSTER}-good` } });
    await seedHosts(env.kube, { namespace: NS, count: 1, prefix: 'bad-host', labels: { set: `${CLUSTER}-bad` } });
    await createAll(env.kube, [
      userDataSecret('worker-user-data-managed', NS),
      ...metal3Cluster(CLUSTER, NS),
      template('workers-data', 'eno1'),
      ...setWith(`${CLUSTER}-good`, 'workers-data', 2),
    ]);
  });
  afterAll(async () => {
    await bmo?.stop();
    await env?.stop();
  });

  const list = async <T extends KubeObject>(t: { apiVersion: string; kind: string }) =>
    (await env.kube.listAll<T>(t, { namespace: NS })).items;
  const runningIn = (set: string, n: number) =>
    eventually(`${n} Running machines in ${set}`, async () => {
      const ms = (await list<Machine>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' })).filter(
        (m) => m.metadata.labels?.['cluster.x-k8s.io/set-name'] === set,
      );
      return ms.length === n && ms.every((m) => m.status?.phase === 'Running') ? ms : false;
    });
  const secretText = async (name: string, key: string) => {
    const s = await env.kube.get<KubeObject & { data: Record<string, string> }>({ ...SECRET, namespace: NS, name });
    return parse(Buffer.from(s.data[key]!, 'base64').toString());
  };

  it('each Machine provisions with data rendered from its host, under an index of its own', async () => {
    await runningIn(`${CLUSTER}-good`, 2);
    const m3ms = (await list<Metal3Machine>(M3M)).filter((m) => m.spec?.dataTemplate);
    const datas = await list<Metal3Data>(M3D);
    expect(datas.map((d) => d.spec?.index).sort()).toEqual([0, 1]);
    expect(datas.every((d) => d.status?.ready === true)).toBe(true);
    for (const m of m3ms) {
      const name = m.metadata.name!;
      const host = (await list<BareMetalHost>(BMH)).find((h) => h.spec?.consumerRef?.name === name)!;
      expect(host.spec?.metaData).toEqual({ name: `${name}-metadata`, namespace: NS });
      expect(host.spec?.networkData).toEqual({ name: `${name}-networkdata`, namespace: NS });
      expect(host.spec?.customDeploy?.method).toBe('install_coreos');
      expect(host.metadata.annotations?.['capi-fn.io/rendering-data']).toBeUndefined();
      const data = datas.find((d) => d.spec?.claim.name === name)!;
      expect(m.status?.renderedData?.name).toBe(data.metadata.name);
      expect(m.status?.conditions?.find((c) => c.type === 'Metal3DataReady')?.status).toBe('True');
      const mac = (host.status!.hardware as { nics: Array<{ mac: string }> }).nics[0]!.mac;
      expect(await secretText(`${name}-metadata`, 'metaData')).toEqual({
        role: 'worker',
        'local-hostname': host.metadata.name,
        'worker-index': `w-${data.spec?.index}`,
        'boot-mac': mac,
        providerid: `${NS}/${host.metadata.name}/${name}`,
      });
      expect(await secretText(`${name}-networkdata`, 'networkData')).toEqual({
        links: [{ type: 'phy', id: 'eno1', mtu: 0, ethernet_mac_address: mac }],
        networks: [{ type: 'ipv4_dhcp', id: 'provisioning', link: 'eno1', routes: [] }],
        services: [{ type: 'dns', address: '192.168.111.1' }],
      });
    }
    const tpl = await env.kube.get<Metal3DataTemplate>({ ...M3DT, namespace: NS, name: 'workers-data' });
    expect(Object.values(tpl.status?.indexes ?? {}).sort()).toEqual([0, 1]);
  });

  it('a deleted Machine takes its claim, data and Secrets with it; the freed index is taken again', async () => {
    const datas = await list<Metal3Data>(M3D);
    const gone = datas.find((d) => d.spec?.index === 0)!;
    const claim = gone.spec!.claim.name!;
    const m3m = await env.kube.get<Metal3Machine>({ ...M3M, namespace: NS, name: claim });
    const machine = m3m.metadata.ownerReferences!.find((o) => o.kind === 'Machine')!.name;
    await env.kube.delete({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', namespace: NS, name: machine });
    await eventually('the claim, its data and its Secrets are collected', async () => {
      const left = [
        await env.kube.find({ ...M3DC, namespace: NS, name: claim }),
        await env.kube.find({ ...M3D, namespace: NS, name: gone.metadata.name! }),
        await env.kube.find({ ...SECRET, namespace: NS, name: `${claim}-metadata` }),
        await env.kube.find({ ...SECRET, namespace: NS, name: `${claim}-networkdata` }),
      ];
      return left.every((x) => !x);
    });
    // The MachineSet replaces it; the new claim takes the lowest free index, 0 again.
    const ms = await runningIn(`${CLUSTER}-good`, 2);
    expect(ms.map((m) => m.metadata.name)).not.toContain(machine);
    const now = await list<Metal3Data>(M3D);
    expect(now.map((d) => d.spec?.index).sort()).toEqual([0, 1]);
    expect(now.find((d) => d.spec?.index === 0)!.spec?.claim.name).not.toBe(claim);
    const hosts = await list<BareMetalHost>(BMH);
    expect(hosts.filter((h) => h.spec?.consumerRef).length).toBe(2);
  });

  it('a template that cannot render for the host names the field; fixing it lets the Machine proceed', async () => {
    await createAll(env.kube, [template('broken-data', 'eth7'), ...setWith(`${CLUSTER}-bad`, 'broken-data', 1)]);
    const m = await eventually('a Metal3Machine whose data cannot render', async () => {
      const ms = await list<Metal3Machine>(M3M);
      return (
        ms.find((x) => x.status?.conditions?.find((c) => c.type === 'Metal3DataReady')?.status === 'False') ?? false
      );
    });
    const c = m.status!.conditions!.find((x) => x.type === 'Metal3DataReady')!;
    expect(c.reason).toBe('Metal3DataRenderFailed');
    expect(c.severity).toBe('Error');
    expect(c.message).toContain(
      'spec.metaData.fromHostInterfaces[0].interface: BareMetalHost bad-host-0 has no NIC "eth7" (it has eno1)',
    );
    const host = await env.kube.get<BareMetalHost>({ ...BMH, namespace: NS, name: 'bad-host-0' });
    expect(host.spec?.consumerRef?.name).toBe(m.metadata.name);
    expect(host.spec?.customDeploy).toBeUndefined();
    const data = (await list<Metal3Data>(M3D)).find((d) => d.spec?.claim.name === m.metadata.name)!;
    expect(data.status?.errorMessage).toContain('has no NIC "eth7"');
    await env.kube.patch(
      { ...M3DT, namespace: NS, name: 'broken-data' },
      { spec: template('broken-data', 'eno1').spec },
      { type: 'merge' },
    );
    await runningIn(`${CLUSTER}-bad`, 1);
  });

  it('racing claims, each delivered twice, get distinct indexes and one Metal3Data each', async () => {
    const ns = 'index-race';
    await env.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await env.kube.create({ ...template('race-data', 'eno1'), metadata: { name: 'race-data', namespace: ns } });
    const n = 6;
    const host = (await list<BareMetalHost>(BMH))[0]!;
    const m3ms: KubeObject[] = [];
    for (let i = 0; i < n; i++)
      m3ms.push(
        await env.kube.create<KubeObject>({ ...M3M, metadata: { name: `racer-${i}`, namespace: ns }, spec: {} }),
      );
    const machine = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', metadata: { name: 'm' } };
    // Separate clients, as separate function instances; every machine's step runs twice at once.
    const outcomes = await Promise.all(
      [...m3ms, ...m3ms].map((m3m) =>
        ensureRenderedData({
          kube: new KubeClient(new HttpsTransport(connectionFor(env.api))),
          m3m,
          machine,
          host,
          template: { name: 'race-data' },
          clusterName: CLUSTER,
          fieldManager: 'test',
        }),
      ),
    );
    expect(outcomes.every((o) => o.kind === 'ready')).toBe(true);
    const datas = (await env.kube.listAll<Metal3Data>(M3D, { namespace: ns })).items;
    expect(datas.map((d) => d.spec?.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(datas.map((d) => d.spec?.claim.name)).size).toBe(n);
    for (const [i, o] of outcomes.entries()) {
      const claim = m3ms[i % n]!.metadata.name!;
      const d = datas.find((x) => x.spec?.claim.name === claim)!;
      expect(o.kind === 'ready' && o.rendered.name, claim).toBe(d.metadata.name);
    }
  });
});
