// `capi-fn doctor` and `capi-fn up` on OpenStack: the Keystone login and the catalog through the process's
// clouds.yaml, the image, flavor and network a template names, and the embedded default against the emulator
// (`npm start -- --platform openstack` with OS_CLOUD): the example converges to Running Machines and scaling to
// zero leaves no server; without credentials it says what is missing and exits 1.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { openstackProvider } from '../../../functions/providers/openstack/index.ts';
import { startApiServer } from '../../../local/apiserver/index.ts';
import { type Embedded, startEmbedded } from '../../../local/embedded/system.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { KubeClient } from '../../../shared/kube/client.ts';
import { HttpsTransport } from '../../../shared/kube/transport.ts';
import { type OpenStackEmulator, startOpenStackEmulator } from '../../emulators/openstack/server.ts';
import { allCrds, connectionFor, eventually, tempDir } from '../../support/env.ts';
import { createAll } from '../../support/sample.ts';
import { FLAVOR, IMAGE, NS } from './support.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function cloudsFile(os: OpenStackEmulator, text = os.cloudsYaml()): NodeJS.ProcessEnv {
  const file = join(mkdtempSync(join(tmpdir(), 'clouds-')), 'clouds.yaml');
  writeFileSync(file, text);
  return { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'capi-fn-emulator' };
}

describe('OpenStack doctor checks', () => {
  it('Keystone login and catalog: ok; wrong password: a failure with the fix; the emulator stopped: how to start it', async () => {
    const os = await startOpenStackEmulator();
    const env = cloudsFile(os);
    expect(openstackProvider.credentialCheck!(env)).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('cloud capi-fn-emulator in'),
    });
    expect(await openstackProvider.endpointCheck!(env)).toMatchObject({
      status: 'ok',
      detail: `${os.authUrl}: logged in as capi-fn to project capi-fn; catalog has compute, network, image, block-storage`,
    });
    const wrong = await openstackProvider.endpointCheck!(
      cloudsFile(os, os.cloudsYaml().replace('capi-fn-password', 'nope')),
    );
    expect(wrong).toMatchObject({ status: 'fail', fix: expect.stringContaining('token issue') });
    await os.stop();
    const down = await openstackProvider.endpointCheck!(env);
    expect(down).toMatchObject({ status: 'fail', fix: expect.stringContaining('capi-fn emulator openstack') });
    expect(down?.detail).toContain('ECONNREFUSED');
    expect(openstackProvider.credentialCheck!({})).toMatchObject({
      status: 'fail',
      detail: 'neither OS_CLOUD nor OS_AUTH_URL is set',
    });
  });

  it('the templates’ image, flavor and network: ok when they exist, a failure naming the field when not', async () => {
    const os = await startOpenStackEmulator();
    const api = await startApiServer({ crds: allCrds() });
    try {
      const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
      const img = os.state.createImage({ name: IMAGE });
      os.state.uploadImage(String(img.id), Buffer.from('x'));
      os.state.createNetwork({ name: 'machines' });
      const template = (name: string, spec: Record<string, unknown>) =>
        ({
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'OpenStackMachineTemplate',
          metadata: { name, namespace: NS },
          spec: { template: { spec } },
        }) as KubeObject;
      await createAll(kube, [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
        template('good', {
          flavor: FLAVOR,
          image: { filter: { name: IMAGE } },
          ports: [{ network: { filter: { name: 'machines' } } }],
        }),
        template('bad', {
          flavor: FLAVOR,
          image: { filter: { name: IMAGE } },
          ports: [{ network: { filter: { name: 'nope' } } }],
        }),
      ]);
      const checks = await openstackProvider.templateChecks!(cloudsFile(os), kube);
      expect(checks.map((c) => [c.name, c.status])).toEqual([
        [`OpenStackMachineTemplate ${NS}/bad`, 'fail'],
        [`OpenStackMachineTemplate ${NS}/good`, 'ok'],
      ]);
      expect(checks[0]!.detail).toBe(
        'NetworkNotFound: spec.template.spec.ports[0].network.filter: no network matches {"name":"nope"}',
      );
    } finally {
      await api.stop();
      await os.stop();
    }
  });

  it('capi-fn up --platform openstack without credentials says what is missing and exits 1, no stack trace', async () => {
    const home = mkdtempSync(join(tmpdir(), 'capi-fn-home-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'bin/capi-fn.js'), 'up', '--platform', 'openstack', '--data-dir', join(home, 'd'), '--port', '0'],
        { env, cwd: home, timeout: 60_000 },
        (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'capi-fn up: --platform openstack needs an OpenStack cloud: set OS_CLOUD to a clouds.yaml entry (npx capi-fn emulator openstack --clouds-yaml FILE writes one for cloud capi-fn-emulator; OS_CLIENT_CONFIG_FILE=FILE) or the OS_* variables\n',
    );
  });
});

describe('capi-fn up --platform openstack against the emulator (OS_CLOUD)', () => {
  let os: OpenStackEmulator;
  let sys: Embedded | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    os = await startOpenStackEmulator({ buildMs: 300 });
    Object.assign(process.env, cloudsFile(os));
    // What the README has the user create with the openstack CLI first.
    const net = os.state.createNetwork({ name: 'capi-fn-openstack-7x2kq-openshift' });
    os.state.createSubnet({ network_id: net.id, name: 'capi-fn-openstack-7x2kq-nodes', cidr: '10.196.0.0/16' });
    const img = os.state.createImage({ name: IMAGE });
    os.state.uploadImage(String(img.id), Buffer.from('x'));
  });
  afterAll(async () => {
    await sys?.stop();
    process.env = saved;
    await os?.stop();
  });

  it('runs the README example to Running machines on the emulator and deletes their servers and ports on scale to zero', async () => {
    sys = await startEmbedded({
      dataDir: tempDir('capi-fn-up-os-'),
      port: 0,
      platform: 'openstack',
      simulateNodes: true,
      sample: true,
    });
    expect(sys.seed).toMatchObject({ platform: 'openstack', infrastructureName: 'capi-fn-openstack-7x2kq' });
    await eventually('the operator created an OpenStackCluster that capi-fn’s provider made ready', async () => {
      const oc = await sys!.kube.find<
        KubeObject & { metadata: object; status?: { ready?: boolean; failureDomains?: object } }
      >({
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'OpenStackCluster',
        namespace: NS,
        name: 'capi-fn-openstack-7x2kq',
      });
      return oc?.status?.ready === true && oc.metadata.annotations?.['cluster.x-k8s.io/managed-by'] === undefined
        ? oc
        : false;
    });
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'examples/openstack/machineset.yaml'), 'utf8')).map(
      (d) => d.toJS() as KubeObject,
    );
    await createAll(sys.kube, docs);
    const machines = () =>
      sys!.kube.listAll<KubeObject & { status?: { phase?: string }; spec: { providerID?: string } }>(
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
        { namespace: NS },
      );
    const running = await eventually(
      '2 Running machines backed by servers',
      async () => {
        const ms = (await machines()).items;
        return ms.length === 2 && ms.every((m) => m.status?.phase === 'Running') ? ms : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(running.every((m) => m.spec.providerID?.startsWith('openstack:///'))).toBe(true);
    expect([...os.state.servers.values()].map((s) => s.az)).toEqual(['nova', 'nova']);
    await sys.kube.patch(
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'MachineSet',
        namespace: NS,
        name: 'capi-fn-openstack-7x2kq-worker-nova',
      },
      { spec: { replicas: 0 } },
      { type: 'merge' },
    );
    await eventually(
      'no machine, no server, no port',
      async () => (await machines()).items.length === 0 && os.state.servers.size === 0 && os.state.ports.length === 0,
      {
        timeoutMs: 90_000,
      },
    );
  }, 180_000);
});
