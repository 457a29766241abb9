// Real kubectl (1.32 via the dispatcher) against the embedded API server: every verb the project relies on,
// on a CRD with status+scale subresources, printer columns, short names and a category, and on built-ins.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { hasPeer } from '../support/peers.ts';
import { type Client, eventually, startTestServer, widgetCrd } from './helpers.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(!hasPeer('kubectl'))('kubectl against the embedded API server', () => {
  let api: ApiServer;
  let c: Client;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (args: string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        'kubectl',
        [...args, '--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')],
        { timeout: 60_000, env: { ...process.env, KUBECONFIG: kubeconfig } },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin!.end(input);
    });

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  const file = (name: string, docs: object[]): string => {
    const p = join(dir, name);
    writeFileSync(p, docs.map((d) => stringify(d)).join('---\n'));
    return p;
  };

  const rows = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capi-fn-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    ({ api, c } = await startTestServer());
    await api.writeKubeconfig(kubeconfig);
  });

  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const w1 = (replicas: number, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w1', labels: { tier: 'front' } },
    spec: { replicas, ...extra },
  });

  it('version reports the 1.32 server; auth can-i and whoami answer', async () => {
    const out = await ok(['version']);
    expect(out).toContain('Server Version: v1.32.0');
    expect(await ok(['auth', 'can-i', 'create', 'pods'])).toBe('yes\n');
    expect(await ok(['auth', 'whoami'])).toMatch(/Username\s+capi-fn-admin/);
  });

  it('apply a CRD and wait for it to be established', async () => {
    const crd = file('crd.yaml', [widgetCrd()]);
    expect(await ok(['apply', '-f', crd])).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n',
    );
    expect(await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.example.com'])).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com condition met\n',
    );
    const res = await ok(['api-resources', '--api-group=example.com']);
    expect(rows(res)[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    expect(rows(res)[1]).toEqual(['widgets', 'wd', 'example.com/v1', 'true', 'Widget']);
    const ex = await ok(['explain', 'widget.spec']);
    expect(ex).toContain('Desired state of the widget.');
    expect(ex).toMatch(/replicas\s+<integer>/);
  });

  it('client-side apply creates, configures and leaves unchanged objects', async () => {
    const f = file('w1.yaml', [w1(2)]);
    expect(await ok(['apply', '-f', f])).toBe('widget.example.com/w1 created\n');
    expect(await ok(['apply', '-f', f])).toBe('widget.example.com/w1 unchanged\n');
    expect(await ok(['apply', '-f', file('w1b.yaml', [w1(3)])])).toBe('widget.example.com/w1 configured\n');
    const strict = await kubectl(['apply', '-f', file('bad.yaml', [w1(3, { bogus: true })])]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('unknown field "spec.bogus"');
    const invalid = await kubectl([
      'apply',
      '-f',
      file('inv.yaml', [{ ...w1(3), metadata: { name: 'w9' }, spec: { replicas: -4 } }]),
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(
      'spec.replicas: Invalid value: -4: spec.replicas in body should be greater than or equal to 0',
    );
  });

  it('server-side apply, conflicts and --force-conflicts', async () => {
    const f = file('w2.yaml', [{ ...w1(1), metadata: { name: 'w2' } }]);
    expect(await ok(['apply', '--server-side', '-f', f])).toBe('widget.example.com/w2 serverside-applied\n');
    const conflict = await kubectl([
      'apply',
      '--server-side',
      '--field-manager=other',
      '-f',
      file('w2b.yaml', [{ ...w1(4), metadata: { name: 'w2' } }]),
    ]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(
      await ok([
        'apply',
        '--server-side',
        '--field-manager=other',
        '--force-conflicts',
        '-f',
        file('w2c.yaml', [{ ...w1(4), metadata: { name: 'w2' } }]),
      ]),
    ).toBe('widget.example.com/w2 serverside-applied\n');
    expect(await ok(['get', 'widget', 'w2', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
  });

  it('get: table columns, wide, name, json, yaml, short names, categories, -A, labels', async () => {
    const t = rows(await ok(['get', 'widgets']));
    expect(t[0]).toEqual(['NAME', 'REPLICAS', 'PHASE', 'AGE']);
    expect(t[1]!.slice(0, 2)).toEqual(['w1', '3']);
    const wide = rows(await ok(['get', 'wd', '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'REPLICAS', 'PHASE', 'COLOR', 'AGE']);
    expect(wide[1]!.slice(0, 3)).toEqual(['w1', '3', 'red']);
    expect(await ok(['get', 'widgets', '-o', 'name'])).toBe('widget.example.com/w1\nwidget.example.com/w2\n');
    const json = JSON.parse(await ok(['get', 'widget', 'w1', '-o', 'json']));
    expect(json.spec).toEqual({ replicas: 3, color: 'red', nested: { level: 3 } });
    expect(await ok(['get', 'widget', 'w1', '-o', 'yaml'])).toContain('kind: Widget');
    const cat = rows(await ok(['get', 'cluster-api']));
    expect(cat.map((r) => r[0])).toEqual(['NAME', 'w1', 'w2']);
    const all = rows(await ok(['get', 'widgets', '-A', '--show-labels']));
    expect(all[0]).toEqual(['NAMESPACE', 'NAME', 'REPLICAS', 'PHASE', 'AGE', 'LABELS']);
    expect(all[1]![0]).toBe('default');
    expect(all[1]!.at(-1)).toBe('tier=front');
    expect(await ok(['get', 'widgets', '-l', 'tier=front', '-o', 'name'])).toBe('widget.example.com/w1\n');
    const none = await kubectl(['get', 'widgets', '-l', 'tier=back']);
    expect(none.stderr).toContain('No resources found in default namespace.');
    const missing = await kubectl(['get', 'widget', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): widgets.example.com "nope" not found');
  });

  it('scale (PATCH and --current-replicas PUT) and status patches', async () => {
    expect(await ok(['scale', 'widget', 'w1', '--replicas=5'])).toBe('widget.example.com/w1 scaled\n');
    expect(await ok(['scale', 'widget', 'w1', '--current-replicas=5', '--replicas=6'])).toBe(
      'widget.example.com/w1 scaled\n',
    );
    const wrong = await kubectl(['scale', 'widget', 'w1', '--current-replicas=1', '--replicas=2']);
    expect(wrong.code).toBe(1);
    expect(
      await ok([
        'patch',
        'widget',
        'w1',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"phase":"Running","replicas":6}}',
      ]),
    ).toBe('widget.example.com/w1 patched\n');
    const t = rows(await ok(['get', 'widget', 'w1']));
    expect(t[1]!.slice(0, 3)).toEqual(['w1', '6', 'Running']);
    expect(
      await ok([
        'patch',
        'widget',
        'w1',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/color","value":"blue"}]',
      ]),
    ).toBe('widget.example.com/w1 patched\n');
    expect(await ok(['get', 'widget', 'w1', '-o', 'jsonpath={.spec.color}'])).toBe('blue');
  });

  it('label, annotate and describe', async () => {
    expect(await ok(['label', 'widget', 'w1', 'env=prod'])).toBe('widget.example.com/w1 labeled\n');
    expect(await ok(['annotate', 'widget', 'w1', 'note=hello'])).toBe('widget.example.com/w1 annotated\n');
    expect(await ok(['label', 'widget', 'w1', 'env-'])).toBe('widget.example.com/w1 unlabeled\n');
    const d = await ok(['describe', 'widget', 'w1']);
    expect(d).toMatch(/Name:\s+w1/);
    expect(d).toMatch(/Labels:\s+tier=front/);
    expect(d).toMatch(/note:\s+hello/);
    expect(d).toMatch(/Phase:\s+Running/);
  });

  it('get -w streams changes', async () => {
    const child = spawn('kubectl', [
      'get',
      'widgets',
      '-w',
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      join(dir, 'cache'),
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await eventually('initial rows', async () => out.includes('w2'));
    await c.patch('/apis/example.com/v1/namespaces/default/widgets/w2', { spec: { replicas: 9 } }, 'merge');
    await eventually('modified row', async () => rows(out).some((r) => r[0] === 'w2' && r[1] === '9'));
    child.kill();
    const lines = rows(out);
    expect(lines[0]).toEqual(['NAME', 'REPLICAS', 'PHASE', 'AGE']);
    expect(lines.filter((r) => r[0] === 'NAME')).toHaveLength(1);
  });

  it('create namespace and configmap (protobuf bodies), get built-ins', async () => {
    expect(await ok(['create', 'namespace', 'kt'])).toBe('namespace/kt created\n');
    expect(await ok(['create', 'configmap', 'cm1', '-n', 'kt', '--from-literal=a=b'])).toBe('configmap/cm1 created\n');
    expect(await ok(['get', 'configmap', 'cm1', '-n', 'kt', '-o', 'jsonpath={.data.a}'])).toBe('b');
    expect(await ok(['create', 'rolebinding', 'rb', '-n', 'kt', '--clusterrole=view', '--user=bob'])).toBe(
      'rolebinding.rbac.authorization.k8s.io/rb created\n',
    );
    // kubectl 1.32's typed clients send every one of these as protobuf too.
    expect(await ok(['create', 'secret', 'generic', 's1', '-n', 'kt', '--from-literal=k=v'])).toBe(
      'secret/s1 created\n',
    );
    expect(await ok(['create', 'serviceaccount', 'sa1', '-n', 'kt'])).toBe('serviceaccount/sa1 created\n');
    expect(await ok(['create', 'service', 'clusterip', 'svc1', '-n', 'kt', '--tcp=80:8080'])).toBe(
      'service/svc1 created\n',
    );
    expect(await ok(['create', 'role', 'r1', '-n', 'kt', '--verb=get', '--resource=pods'])).toBe(
      'role.rbac.authorization.k8s.io/r1 created\n',
    );
    expect(await ok(['create', 'clusterrole', 'cr1', '--verb=get', '--resource=pods'])).toBe(
      'clusterrole.rbac.authorization.k8s.io/cr1 created\n',
    );
    expect(await ok(['create', 'clusterrolebinding', 'crb1', '--clusterrole=cr1', '--user=bob'])).toBe(
      'clusterrolebinding.rbac.authorization.k8s.io/crb1 created\n',
    );
    expect(await ok(['create', 'pdb', 'pdb1', '-n', 'kt', '--selector=app=x', '--min-available=50%'])).toBe(
      'poddisruptionbudget.policy/pdb1 created\n',
    );
    expect(await ok(['create', 'deployment', 'dep', '-n', 'kt', '--image=nginx', '--port=80', '--replicas=2'])).toBe(
      'deployment.apps/dep created\n',
    );
    expect(await ok(['get', 'secret', 's1', '-n', 'kt', '-o', 'jsonpath={.data.k}'])).toBe(
      Buffer.from('v').toString('base64'),
    );
    expect(await ok(['get', 'svc', 'svc1', '-n', 'kt', '-o', 'jsonpath={.spec.ports[0].targetPort}'])).toBe('8080');
    expect(
      await ok([
        'get',
        'deploy',
        'dep',
        '-n',
        'kt',
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort}',
      ]),
    ).toBe('2 80');
    expect(await ok(['scale', 'deployment', 'dep', '-n', 'kt', '--replicas=3'])).toBe('deployment.apps/dep scaled\n');
    expect(rows(await ok(['get', 'deploy', '-n', 'kt']))[0]).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
    ]);
    // Client-side apply of an existing built-in sends a strategic merge patch.
    const cmFile = (v: string) =>
      file(`cm-${v}.yaml`, [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'applied', namespace: 'kt', labels: { a: 'b' } },
          data: { k: v },
        },
      ]);
    expect(await ok(['apply', '-f', cmFile('1')])).toBe('configmap/applied created\n');
    expect(await ok(['apply', '-f', cmFile('2')])).toBe('configmap/applied configured\n');
    expect(await ok(['replace', '-f', cmFile('3')])).toBe('configmap/applied replaced\n');
    expect(await ok(['get', 'cm', 'applied', '-n', 'kt', '-o', 'jsonpath={.data.k}'])).toBe('3');
    const ns = rows(await ok(['get', 'ns', 'kt']));
    expect(ns[0]).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(ns[1]!.slice(0, 2)).toEqual(['kt', 'Active']);
    const cms = rows(await ok(['get', 'cm', '-n', 'kt']));
    expect(cms[0]).toEqual(['NAME', 'DATA', 'AGE']);
    expect(cms.find((r) => r[0] === 'cm1')!.slice(0, 2)).toEqual(['cm1', '1']);
  });

  it('delete: foreground waits for blocking dependents, orphan keeps them, background removes them', async () => {
    const uid = (await c.get('/apis/example.com/v1/namespaces/default/widgets/w2')).body.metadata.uid;
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w2', uid, blockOwnerDeletion: true };
    await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'dep-fg', ownerReferences: [ref] } });
    expect(await ok(['delete', 'widget', 'w2', '--cascade=foreground'])).toBe('widget.example.com "w2" deleted\n');
    expect((await c.get('/api/v1/namespaces/default/configmaps/dep-fg')).status).toBe(404);
    await ok(['apply', '-f', file('w3.yaml', [{ ...w1(1), metadata: { name: 'w3' } }])]);
    const uid3 = (await c.get('/apis/example.com/v1/namespaces/default/widgets/w3')).body.metadata.uid;
    await c.post('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'dep-or', ownerReferences: [{ ...ref, name: 'w3', uid: uid3 }] },
    });
    expect(await ok(['delete', 'widget', 'w3', '--cascade=orphan'])).toBe('widget.example.com "w3" deleted\n');
    const orphan = await c.get('/api/v1/namespaces/default/configmaps/dep-or');
    expect(orphan.status).toBe(200);
    expect(orphan.body.metadata.ownerReferences).toBeUndefined();
    expect(await ok(['delete', 'configmap', 'dep-or', '--cascade=background', '--wait'])).toBe(
      'configmap "dep-or" deleted\n',
    );
  });

  it('cordon and drain a node, honouring a PodDisruptionBudget', async () => {
    const objs: object[] = [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/worker': '' } },
        spec: { providerID: 'local://n1' },
      },
      ...['p1', 'p2'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'a' } },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
      })),
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } },
      },
    ];
    await ok(['apply', '-f', file('node.yaml', objs)]);
    await c.patch(
      '/api/v1/nodes/n1/status',
      { status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0' } } },
      'strategic',
    );
    for (const p of ['p1', 'p2'])
      await c.patch(
        `/api/v1/namespaces/default/pods/${p}/status`,
        { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
        'strategic',
      );
    const nodes = rows(await ok(['get', 'nodes']));
    expect(nodes[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(nodes[1]).toEqual(['n1', 'Ready', 'worker', expect.any(String), 'v1.32.0']);
    const pods = rows(await ok(['get', 'pods']));
    expect(pods[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(await ok(['describe', 'node', 'n1'])).toMatch(/ProviderID:\s+local:\/\/n1/);
    expect(await ok(['cordon', 'n1'])).toBe('node/n1 cordoned\n');
    expect(rows(await ok(['get', 'node', 'n1']))[1]![1]).toBe('Ready,SchedulingDisabled');
    await eventually(
      'pdb observed',
      async () =>
        (await c.get('/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb')).body.status?.disruptionsAllowed ===
        1,
    );
    // One pod can go at once; the second waits (429, retried by kubectl) until a replacement elsewhere is ready.
    const drain = spawn('kubectl', [
      'drain',
      'n1',
      '--force',
      '--timeout=60s',
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      join(dir, 'cache'),
    ]);
    let out = '';
    drain.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    drain.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await eventually('first eviction', async () => out.includes('evicted'), 30_000);
    await eventually(
      'budget exhausted',
      async () => out.includes("Cannot evict pod as it would violate the pod's disruption budget"),
      30_000,
    );
    await c.post('/api/v1/namespaces/default/pods', {
      metadata: { name: 'p3', labels: { app: 'a' } },
      spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'busybox' }] },
    });
    await c.patch(
      '/api/v1/namespaces/default/pods/p3/status',
      { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
      'strategic',
    );
    const code = await new Promise<number | null>((r) => drain.on('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('node/n1 drained');
    const left = (await c.get('/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).body.items;
    expect(left).toEqual([]);
  });
});
