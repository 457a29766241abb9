// The Compute Engine emulator, proven with Google's own client: the gcloud CLI (with credentials disabled, as
// peer-trials §4 records) creates networks, subnetworks, an image in another project and instances, lists,
// describes, stops and deletes them; then the behaviour capi-fn's provider relies on, through its own client:
// requestId deduplication, Google's error shapes, failed operations that leave nothing, the state timeline,
// filters, and injected faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GceRest, GoogleApiError } from '../../../functions/providers/gcp/client.ts';
import { type Gcloud, gcloudAgainst } from '../../providers/gcp/support.ts';
import { hasPeer } from '../../support/peers.ts';
import { parseFilter } from './filter.ts';
import { type GceEmulator, startGceEmulator } from './server.ts';

const STEP = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasPeer('gcloud'))('GCE emulator: the gcloud CLI accepts it', () => {
  let gce: GceEmulator;
  let g: Gcloud;
  const gcloud = (...args: string[]) => g.result(...args);
  beforeAll(async () => {
    gce = await startGceEmulator({ stepMs: STEP });
    g = await gcloudAgainst(gce.endpoint, 'ocp-proj');
  }, 60_000);
  afterAll(async () => {
    await gce?.stop();
    g?.cleanup();
  });

  it('creates a custom network, a subnetwork and an image in rhcos-cloud', async () => {
    expect((await gcloud('compute', 'networks', 'create', 'ocp-network', '--subnet-mode=custom')).code).toBe(0);
    const sub = await gcloud(
      'compute',
      'networks',
      'subnets',
      'create',
      'ocp-worker-subnet',
      '--network',
      'ocp-network',
      '--region',
      'us-central1',
      '--range',
      '10.0.128.0/17',
    );
    expect(sub.code, sub.err).toBe(0);
    const img = await gcloud(
      'compute',
      'images',
      'create',
      'rhcos-9-6-20250701-0-gcp-x86-64',
      '--project',
      'rhcos-cloud',
      '--source-uri',
      'gs://rhcos/rhcos-9.6-gcp.tar.gz',
      '--family',
      'rhcos-9',
    );
    expect(img.code, img.err).toBe(0);
    const desc = await gcloud(
      'compute',
      'images',
      'describe-from-family',
      'rhcos-9',
      '--project',
      'rhcos-cloud',
      '--format=value(name,status)',
    );
    expect(desc.out.trim()).toBe('rhcos-9-6-20250701-0-gcp-x86-64\tREADY');
    const subnets = await gcloud(
      'compute',
      'networks',
      'subnets',
      'list',
      '--format=value(name,region.basename(),ipCidrRange)',
      '--filter=network~ocp-network',
    );
    expect(subnets.out.trim()).toBe('ocp-worker-subnet\tus-central1\t10.0.128.0/17');
  }, 60_000);

  it('creates, lists, describes, stops and deletes instances', async () => {
    const create = await gcloud(
      'compute',
      'instances',
      'create',
      'vm-a',
      'vm-b',
      '--zone',
      'us-central1-a',
      '--machine-type',
      'n2-standard-4',
      '--subnet',
      'ocp-worker-subnet',
      '--no-address',
      '--image',
      'rhcos-9-6-20250701-0-gcp-x86-64',
      '--image-project',
      'rhcos-cloud',
      '--labels',
      'capg-cluster-ocp=owned',
      '--metadata',
      'user-data={"ignition":{}}',
    );
    expect(create.code, create.err).toBe(0);
    await sleep(2 * STEP + 50);
    const list = await gcloud(
      'compute',
      'instances',
      'list',
      '--format=value(name,zone.basename(),status,networkInterfaces[0].networkIP)',
    );
    expect(list.out.trim().split('\n')).toEqual([
      'vm-a\tus-central1-a\tRUNNING\t10.0.128.2',
      'vm-b\tus-central1-a\tRUNNING\t10.0.128.3',
    ]);
    const d = await gcloud('compute', 'instances', 'describe', 'vm-a', '--zone', 'us-central1-a', '--format=json');
    const inst = JSON.parse(d.out) as {
      labels: Record<string, string>;
      metadata: { items: Array<{ key: string; value: string }> };
      disks: Array<{ boot: boolean }>;
    };
    expect(inst.labels).toEqual({ 'capg-cluster-ocp': 'owned' });
    expect(inst.metadata.items).toEqual([{ key: 'user-data', value: '{"ignition":{}}' }]);
    expect(inst.disks[0]!.boot).toBe(true);
    expect((await gcloud('compute', 'instances', 'stop', 'vm-b', '--zone', 'us-central1-a')).code).toBe(0);
    await sleep(STEP + 50);
    expect(
      (
        await gcloud('compute', 'instances', 'describe', 'vm-b', '--zone', 'us-central1-a', '--format=value(status)')
      ).out.trim(),
    ).toBe('TERMINATED');
    const del = await gcloud('compute', 'instances', 'delete', 'vm-a', 'vm-b', '--zone', 'us-central1-a');
    expect(del.code, del.err).toBe(0);
    expect((await gcloud('compute', 'instances', 'list', '--format=value(name)')).out.trim()).toBe('');
  }, 90_000);

  it('shows Google’s errors as gcloud users know them', async () => {
    const missing = await gcloud('compute', 'instances', 'describe', 'nope', '--zone', 'us-central1-a');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain("The resource 'projects/ocp-proj/zones/us-central1-a/instances/nope' was not found");
    const badType = await gcloud(
      'compute',
      'instances',
      'create',
      'vm-x',
      '--zone',
      'us-central1-a',
      '--machine-type',
      'n9-huge-1',
    );
    expect(badType.code).not.toBe(0);
    expect(badType.err).toContain("Machine type with name 'n9-huge-1' does not exist in zone 'us-central1-a'");
  }, 60_000);
});

describe('GCE emulator: what the provider relies on', () => {
  let gce: GceEmulator;
  let api: GceRest;
  // The emulator's own clock, moved by the tests: states follow time, and the tests must not depend on how
  // fast this machine is.
  let clock = Date.now();
  const advance = (ms: number) => {
    clock += ms;
  };
  const body = (name: string, extra: Record<string, unknown> = {}, zone = 'us-central1-a') => ({
    name,
    machineType: `zones/${zone}/machineTypes/e2-standard-4`,
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' },
      },
    ],
    networkInterfaces: [{ network: 'global/networks/default' }],
    labels: { 'capi-fn-machine-uid': name },
    ...extra,
  });
  beforeAll(async () => {
    gce = await startGceEmulator({ stepMs: STEP, cpuQuota: 12, now: () => clock });
    api = new GceRest({ endpoint: gce.endpoint, sleep: async () => {} });
  });
  afterAll(async () => gce?.stop());

  it('walks PROVISIONING → STAGING → RUNNING and finishes the operation', async () => {
    const op = await api.insertInstance('p1', 'us-central1-a', body('walk') as never, 'rid-walk');
    expect(op.status).not.toBe('DONE');
    expect((await api.getInstance('p1', 'us-central1-a', 'walk')).status).toBe('PROVISIONING');
    advance(STEP + 20);
    expect((await api.getInstance('p1', 'us-central1-a', 'walk')).status).toBe('STAGING');
    expect((await api.getZoneOperation('p1', 'us-central1-a', op.name)).status).toBe('DONE');
    advance(STEP);
    const inst = await api.getInstance('p1', 'us-central1-a', 'walk');
    expect(inst.status).toBe('RUNNING');
    expect(inst.networkInterfaces?.[0]?.networkIP).toMatch(/^10\.128\.0\.\d+$/);
    expect(inst.selfLink).toBe(`${gce.endpoint}projects/p1/zones/us-central1-a/instances/walk`);
  });

  it('a repeated requestId returns the first operation and makes nothing new; a new one on the same name is 409', async () => {
    const a = await api.insertInstance('p2', 'us-central1-a', body('dup') as never, 'rid-1');
    const b = await api.insertInstance('p2', 'us-central1-a', body('dup') as never, 'rid-1');
    expect(b.name).toBe(a.name);
    const c = await api.insertInstance('p2', 'us-central1-a', body('dup') as never, 'rid-2').catch((e) => e);
    expect(c).toBeInstanceOf(GoogleApiError);
    expect([c.status, c.reason]).toEqual([409, 'alreadyExists']);
    expect(await api.listInstances('p2')).toHaveLength(1);
  });

  it('refuses unknown images, subnetworks and machine types with the field and Google’s reason', async () => {
    const img = await api
      .insertInstance(
        'p3',
        'us-central1-a',
        body('i', {
          disks: [{ boot: true, initializeParams: { sourceImage: 'projects/rhcos-cloud/global/images/nope' } }],
        }) as never,
        'r1',
      )
      .catch((e) => e);
    expect([img.status, img.reason, img.message]).toEqual([
      404,
      'notFound',
      "The resource 'projects/rhcos-cloud/global/images/nope' was not found",
    ]);
    const sub = await api
      .insertInstance(
        'p3',
        'us-central1-a',
        body('s', { networkInterfaces: [{ subnetwork: 'projects/p3/regions/us-central1/subnetworks/nope' }] }) as never,
        'r2',
      )
      .catch((e) => e);
    expect([sub.status, sub.reason]).toEqual([404, 'notFound']);
    const mt = await api
      .insertInstance(
        'p3',
        'us-central1-a',
        body('m', { machineType: 'zones/us-central1-a/machineTypes/x1' }) as never,
        'r3',
      )
      .catch((e) => e);
    expect([mt.status, mt.reason]).toEqual([400, 'invalid']);
    expect(mt.message).toContain("'resource.machineType'");
    expect(await api.listInstances('p3')).toHaveLength(0);
  });

  it('the region’s CPU quota fails the operation with QUOTA_EXCEEDED and leaves no instance', async () => {
    await api.insertInstance('p4', 'us-central1-b', body('q1', {}, 'us-central1-b') as never, 'q1');
    await api.insertInstance('p4', 'us-central1-b', body('q2', {}, 'us-central1-b') as never, 'q2');
    await api.insertInstance('p4', 'us-central1-b', body('q3', {}, 'us-central1-b') as never, 'q3');
    const op = await api.insertInstance('p4', 'us-central1-b', body('q4', {}, 'us-central1-b') as never, 'q4');
    advance(STEP + 20);
    const done = await api.getZoneOperation('p4', 'us-central1-b', op.name);
    expect(done.status).toBe('DONE');
    expect(done.error?.errors?.[0]?.code).toBe('QUOTA_EXCEEDED');
    expect(done.httpErrorStatusCode).toBe(403);
    expect((await api.listInstances('p4')).map((i) => i.name)).toEqual(['q1', 'q2', 'q3']);
  });

  it('deletes: STOPPING, then gone; a repeated delete requestId is the same operation; unknown is 404', async () => {
    await api.insertInstance('p5', 'us-central1-a', body('d') as never, 'd-ins');
    const a = await api.deleteInstance('p5', 'us-central1-a', 'd', 'd-del');
    const b = await api.deleteInstance('p5', 'us-central1-a', 'd', 'd-del');
    expect(b.name).toBe(a.name);
    expect((await api.getInstance('p5', 'us-central1-a', 'd')).status).toBe('STOPPING');
    advance(STEP + 20);
    const gone = await api.getInstance('p5', 'us-central1-a', 'd').catch((e) => e);
    expect(gone.status).toBe(404);
    expect(
      ((await api.deleteInstance('p5', 'us-central1-a', 'd', 'other').catch((e) => e)) as GoogleApiError).status,
    ).toBe(404);
  });

  it('aggregatedList filters by label across zones', async () => {
    await api.insertInstance(
      'p6',
      'us-central1-a',
      body('f1', { labels: { 'capg-cluster-c1': 'owned' } }) as never,
      'f1',
    );
    await api.insertInstance(
      'p6',
      'us-central1-b',
      body('f2', { labels: { 'capg-cluster-c1': 'owned' } }, 'us-central1-b') as never,
      'f2',
    );
    await api.insertInstance(
      'p6',
      'us-central1-a',
      body('f3', { labels: { 'capg-cluster-c2': 'owned' } }) as never,
      'f3',
    );
    expect((await api.listInstances('p6', 'labels.capg-cluster-c1=owned')).map((i) => i.name).sort()).toEqual([
      'f1',
      'f2',
    ]);
    expect((await api.listInstances('p6', 'labels.capg-cluster-c2:*')).map((i) => i.name)).toEqual(['f3']);
  });

  it('injected faults: 429 is retried by the client, rateLimitExceeded and operation errors reach it', async () => {
    gce.state.faults.push({
      method: 'GET',
      path: 'instances/flaky$',
      http: { status: 429, reason: 'rateLimitExceeded' },
    });
    await api.insertInstance('p7', 'us-central1-a', body('flaky') as never, 'fl');
    expect((await api.getInstance('p7', 'us-central1-a', 'flaky')).name).toBe('flaky');
    gce.state.faults.push({
      method: 'POST',
      path: 'instances$',
      operationError: { code: 'ZONE_RESOURCE_POOL_EXHAUSTED', httpStatus: 503 },
    });
    const op = await api.insertInstance('p7', 'us-central1-a', body('full') as never, 'full');
    advance(STEP + 20);
    expect((await api.getZoneOperation('p7', 'us-central1-a', op.name)).error?.errors?.[0]?.code).toBe(
      'ZONE_RESOURCE_POOL_EXHAUSTED',
    );
    expect(await api.getInstance('p7', 'us-central1-a', 'full').catch((e) => e.status)).toBe(404);
    const statuses = gce.state.requests.filter((r) => r.path.endsWith('instances/flaky')).map((r) => r.status);
    expect(statuses).toEqual([429, 200]);
  });

  it('parses the filter grammar (=, !=, :, eq, AND, OR, parentheses) and rejects nonsense', () => {
    const r = { name: 'a-1', status: 'RUNNING', labels: { env: 'prod', tier: 'web' } };
    expect(parseFilter('labels.env = prod AND status = RUNNING')(r)).toBe(true);
    expect(parseFilter('(labels.env = dev) OR (labels.tier = "web")')(r)).toBe(true);
    expect(parseFilter('labels.env != prod')(r)).toBe(false);
    expect(parseFilter('name eq "a-[0-9]+"')(r)).toBe(true);
    expect(parseFilter('labels.owner:*')(r)).toBe(false);
    expect(() => parseFilter('labels.env ~~ prod')).toThrow(/invalid filter/);
  });
});
