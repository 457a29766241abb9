// `capi-fn up --platform vsphere --simulate-nodes` against vcsim, driven with kubectl and the README's example file
// (its vCenter address swapped for this vcsim's port): Running machines whose VMs vcsim holds, gone on scale to zero.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Embedded, startEmbedded } from '../../../local/embedded/system.ts';
import { eventually, tempDir } from '../../support/env.ts';
import { hasPeer } from '../../support/peers.ts';
import { startVcsim, type Vcsim } from '../../support/vcsim.ts';
import { NS, observer } from './support.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
const SET = 'capi-fn-vsphere-7x2kq-worker';

describe.skipIf(!hasPeer('vcsim') || !hasPeer('kubectl'))('capi-fn up --platform vsphere (vcsim)', () => {
  let sim: Vcsim;
  let sys: Embedded | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    sim = await startVcsim();
    Object.assign(process.env, sim.env);
  }, 300_000);
  afterAll(async () => {
    await sys?.stop();
    process.env = saved;
    await sim?.stop();
  });

  it('runs the README example to Running machines on vcsim and destroys their VMs on scale to zero', async () => {
    const dataDir = tempDir('capi-fn-up-vsphere-');
    sys = await startEmbedded({ dataDir, port: 0, platform: 'vsphere', simulateNodes: true, sample: true });
    expect(sys.seed).toMatchObject({ platform: 'vsphere', infrastructureName: 'capi-fn-vsphere-7x2kq' });
    const kubectl = async (...args: string[]) =>
      (await run('kubectl', ['--kubeconfig', sys!.kubeconfigPath, ...args], { encoding: 'utf8', cwd: ROOT })).stdout;
    await eventually('the operator created the VSphereCluster and the provider made it ready', async () => {
      const vc = await sys!.kube.find<{ metadata: object; spec?: { server?: string }; status?: { ready?: boolean } }>({
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'VSphereCluster',
        namespace: NS,
        name: 'capi-fn-vsphere-7x2kq',
      });
      // OpenShift's vcenters[].port stops at 32767: a higher test port is left out, VSPHERE_SERVER supplies it.
      return vc?.status?.ready === true && sim.server.startsWith(vc.spec?.server ?? '-');
    });
    const example = join(dataDir, 'machineset.yaml');
    writeFileSync(
      example,
      readFileSync(join(ROOT, 'examples/vsphere/machineset.yaml'), 'utf8').replace(
        'server: 127.0.0.1:8989',
        `server: ${sim.server}`,
      ),
    );
    await kubectl('apply', '-f', example);
    let seen = '';
    const running = await eventually(
      () => `2 Running machines backed by vcsim VMs; VSphereMachines: ${seen}`,
      async () => {
        seen = JSON.stringify(
          (
            await sys!.kube.listAll<{ metadata: { name?: string }; status?: unknown }>(
              { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'VSphereMachine' },
              { namespace: NS },
            )
          ).items.map((o) => ({ name: o.metadata.name, status: o.status })),
        );
        const ms = (
          await sys!.kube.listAll<{
            metadata: { name?: string };
            status?: { phase?: string };
            spec: { providerID?: string };
          }>(MACHINE, { namespace: NS })
        ).items;
        return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running') ? ms : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const obs = observer(sim);
    const vms = (await obs.vms()).filter((v) => v.name.startsWith(`${SET}-`));
    expect(vms.map((v) => `vsphere://${v.biosUuid}`).sort()).toEqual(running.map((m) => m.spec.providerID).sort());
    expect(vms.every((v) => v.powerState === 'poweredOn' && v.numCPUs === 4)).toBe(true);
    await kubectl('scale', `machineset.cluster.x-k8s.io/${SET}`, '-n', NS, '--replicas=0');
    await eventually(
      'no machines and no VM of the set in vcsim',
      async () =>
        (await sys!.kube.listAll(MACHINE, { namespace: NS })).items.length === 0 &&
        !(await obs.vms()).some((v) => v.name.startsWith(`${SET}-`)),
      { timeoutMs: 90_000 },
    );
    await obs.api.logout();
  }, 240_000);
});
