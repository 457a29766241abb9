// Racing claims against the real API server: many Metal3Machines claim at once from separate clients (as
// separate function instances would), and the host's resourceVersion precondition is the only guard. No host
// may ever be given to two machines; the losers take another host or say none is available.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BMH } from '../../../functions/providers/metal3/hosts.ts';
import { metal3Port, NoHostAvailableError } from '../../../functions/providers/metal3/port.ts';
import type { ClaimRequest } from '../../../functions/providers/metal3/request.ts';
import { type ApiServer, startApiServer } from '../../../local/apiserver/index.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { BareMetalHost } from '../../../shared/api/providers/metal3.ts';
import { KubeClient } from '../../../shared/kube/client.ts';
import { isConflict } from '../../../shared/kube/errors.ts';
import { HttpsTransport } from '../../../shared/kube/transport.ts';
import { allCrds, connectionFor } from '../../support/env.ts';

const NS = 'claims';

describe('Metal3 claims under a race', () => {
  let api: ApiServer;
  let admin: KubeClient;
  beforeAll(async () => {
    api = await startApiServer({ crds: allCrds() });
    admin = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  afterAll(async () => api?.stop());

  let round = 0;
  beforeEach(() => {
    round++;
  });

  async function availableHosts(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const h = await admin.create<BareMetalHost>({
        ...BMH,
        metadata: { name: `r${round}-host-${i}`, namespace: NS, labels: { round: String(round) } },
        spec: { online: false },
      } as BareMetalHost);
      await admin.updateStatus({
        ...h,
        status: {
          operationalStatus: 'OK',
          poweredOn: false,
          errorMessage: '',
          errorCount: 0,
          hardwareProfile: 'unknown',
          provisioning: { state: 'available', ID: '' },
        },
      } as BareMetalHost);
    }
  }

  /** `racers` machines claim at once, each through a client of its own; conflicts are counted. */
  async function race(racers: number) {
    let conflicts = 0;
    // Real owners: a claim makes the Metal3Machine the host's controller, and the garbage collector deletes
    // a host whose owner does not exist.
    const owners: string[] = [];
    for (let i = 0; i < racers; i++) {
      const m = await admin.create<KubeObject>({
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'Metal3Machine',
        metadata: { name: `m-${round}-${i}`, namespace: NS },
        spec: {},
      });
      owners.push(m.metadata.uid!);
    }
    const outcomes = await Promise.allSettled(
      Array.from({ length: racers }, async (_, i) => {
        const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
        const update = kube.update.bind(kube);
        kube.update = (async (o: never) => {
          try {
            return await update(o);
          } catch (e) {
            if (isConflict(e)) conflicts++;
            throw e;
          }
        }) as typeof kube.update;
        const req: ClaimRequest = {
          hostSelector: { matchLabels: { round: String(round) } },
          customDeploy: { method: 'install_coreos' },
          userData: { name: 'worker-user-data-managed', namespace: NS },
          owner: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', uid: owners[i]! },
        };
        return metal3Port(kube, NS).create(req, `key-${i}`, {
          machineUid: `uid-${round}-${i}`,
          clusterName: 'c',
          namespace: NS,
          name: `m-${round}-${i}`,
        });
      }),
    );
    const hosts = (await admin.listAll<BareMetalHost>(BMH, { namespace: NS })).items.filter(
      (h) => h.metadata.labels?.round === String(round),
    );
    return { outcomes, hosts, conflicts };
  }

  it('eight machines, one host: one claim wins, the others are told no host is available', async () => {
    await availableHosts(1);
    const { outcomes, hosts, conflicts } = await race(8);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes.filter((x) => x.status === 'rejected'))
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(NoHostAvailableError);
    const h = hosts[0]!;
    expect(h.spec?.consumerRef?.name).toBe(h.metadata.labels?.['capi-fn.io/machine-uid']?.replace('uid-', 'm-'));
    console.log(`claims: 8 racers, 1 host: ${conflicts} resourceVersion conflicts`);
  });

  it('eight machines, five hosts: five claims on five different hosts, three without', async () => {
    await availableHosts(5);
    const { outcomes, hosts, conflicts } = await race(8);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    const consumers = hosts.map((h) => h.spec?.consumerRef?.name);
    expect(consumers.every(Boolean)).toBe(true);
    expect(new Set(consumers).size).toBe(5);
    // The identity label and the consumerRef always name the same machine.
    for (const h of hosts)
      expect(h.metadata.labels?.['capi-fn.io/machine-uid']?.replace('uid-', 'm-')).toBe(h.spec?.consumerRef?.name);
    console.log(`claims: 8 racers, 5 hosts: ${conflicts} resourceVersion conflicts`);
  });

  it("a claim whose reply was lost and was repeated (a 409 on the client's own write) keeps that host: one host, not two", async () => {
    await availableHosts(3);
    const owner = await admin.create<KubeObject>({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'Metal3Machine',
      metadata: { name: `m-${round}-lost`, namespace: NS },
      spec: {},
    });
    // What KubeClient does when a reply is lost: the update landed, the repeat meets the new resourceVersion.
    const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
    const update = kube.update.bind(kube);
    let lost = 0;
    kube.update = (async (o: never) => {
      const done = await update(o);
      if (lost++ === 0) return update(o);
      return done;
    }) as typeof kube.update;
    const uid = `uid-${round}-lost`;
    const inst = await metal3Port(kube, NS).create(
      {
        hostSelector: { matchLabels: { round: String(round) } },
        customDeploy: { method: 'install_coreos' },
        userData: { name: 'worker-user-data-managed', namespace: NS },
        owner: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', uid: owner.metadata.uid! },
      },
      'key-lost',
      { machineUid: uid, clusterName: 'c', namespace: NS, name: `m-${round}-lost` },
    );
    const claimed = (await admin.listAll<BareMetalHost>(BMH, { namespace: NS })).items.filter(
      (h) => h.metadata.labels?.['capi-fn.io/machine-uid'] === uid,
    );
    expect(lost).toBe(1);
    expect(claimed.map((h) => h.metadata.name)).toEqual([inst.id]);
  });

  it('eight machines, eight hosts: every machine gets a host of its own', async () => {
    await availableHosts(8);
    const { outcomes, hosts, conflicts } = await race(8);
    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(new Set(hosts.map((h) => h.spec?.consumerRef?.name)).size).toBe(8);
    console.log(`claims: 8 racers, 8 hosts: ${conflicts} resourceVersion conflicts`);
  });
});
