// kubectl beyond the everyday verbs, against the embedded API server with every capi-fn CRD: wait --for=jsonpath,
// events, diff, apply --prune (which needs every kind of kubectl's default prune list served), get -w
// --output-watch-events, label/annotate --overwrite, auth can-i --list, api-resources -o wide and explain
// --recursive on every capi-fn kind.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { toCrd } from '../../shared/api/crd.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { hasPeer } from '../support/peers.ts';

describe.skipIf(!hasPeer('kubectl'))('kubectl’s less common features against the embedded API server', () => {
  let api: ApiServer;
  let dir: string;
  let kubeconfig: string;

  let kubectl: ReturnType<typeof kubectlFor>['kubectl'];
  let ok: ReturnType<typeof kubectlFor>['ok'];
  const manifest = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  const cm = (name: string, value: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: k2, labels: {app: demo}}\ndata: {a: "${value}"}\n`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capi-fn-kubectl-more-'));
    kubeconfig = join(dir, 'kubeconfig');
    ({ kubectl, ok } = kubectlFor(kubeconfig, dir));
    api = await startApiServer({ crds: allKinds.map((k) => toCrd(k)) });
    await api.writeKubeconfig(kubeconfig);
    await ok(['create', 'namespace', 'k2']);
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('wait --for=jsonpath, and label/annotate refusing to overwrite without --overwrite', async () => {
    await ok(['-n', 'k2', 'create', 'configmap', 'w', '--from-literal=a=1']);
    expect(await ok(['-n', 'k2', 'wait', '--for=jsonpath={.data.a}=1', 'configmap/w', '--timeout=10s'])).toContain(
      'condition met',
    );
    await ok(['-n', 'k2', 'label', 'configmap', 'w', 'x=1']);
    const refused = await kubectl(['-n', 'k2', 'label', 'configmap', 'w', 'x=2']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("'x' already has a value (1), and --overwrite is false");
    await ok(['-n', 'k2', 'label', 'configmap', 'w', 'x=2', '--overwrite']);
    await ok(['-n', 'k2', 'annotate', 'configmap', 'w', 'y=1']);
    await ok(['-n', 'k2', 'annotate', 'configmap', 'w', 'y=2', '--overwrite']);
    expect(
      await ok(['-n', 'k2', 'get', 'configmap', 'w', '-o', 'jsonpath={.metadata.labels.x}/{.metadata.annotations.y}']),
    ).toBe('2/2');
  });

  it('diff shows the change and exits 1; apply --prune deletes what the manifest dropped', async () => {
    await ok(['apply', '-f', manifest('two.yaml', `${cm('p1', '1')}---\n${cm('p2', '1')}`)]);
    const diff = await kubectl(['diff', '-f', manifest('changed.yaml', cm('p1', '2'))]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/-\s+a: "1"\n\+\s+a: "2"/);
    const pruned = await ok(['apply', '-f', manifest('one.yaml', cm('p1', '1')), '--prune', '-l', 'app=demo']);
    expect(pruned).toContain('configmap/p2 pruned');
    expect(await ok(['-n', 'k2', 'get', 'configmap', '-l', 'app=demo', '-o', 'name'])).toBe('configmap/p1\n');
  });

  it('get -w --output-watch-events prints each event’s type', async () => {
    await ok(['-n', 'k2', 'create', 'configmap', 'watched', '--from-literal=a=1']);
    const child = spawn('kubectl', [
      '-n',
      'k2',
      'get',
      'configmap',
      'watched',
      '-w',
      '--output-watch-events',
      '--kubeconfig',
      kubeconfig,
    ]);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      const until = async (re: RegExp) => {
        for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
        expect(out).toMatch(re);
      };
      await until(/ADDED\s+watched/);
      await ok(['-n', 'k2', 'label', 'configmap', 'watched', 'seen=yes']);
      await until(/MODIFIED\s+watched/);
      await ok(['-n', 'k2', 'delete', 'configmap', 'watched']);
      await until(/DELETED\s+watched/);
    } finally {
      child.kill();
    }
  });

  it('auth can-i --list answers with every verb on everything (no authorization is enforced)', async () => {
    const out = await ok(['auth', 'can-i', '--list', '-n', 'k2']);
    expect(out.split('\n')[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    expect(out).toMatch(/\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
  });

  it('api-resources -o wide and explain --recursive know every capi-fn kind', async () => {
    const wide = await ok(['api-resources', '-o', 'wide']);
    for (const k of allKinds) {
      const row = wide.split('\n').find((l) => new RegExp(`\\s${k.kind}\\s`).test(l) && l.includes(`${k.group}/`));
      expect(row, k.kind).toBeDefined();
      expect(row).toContain('create,delete,deletecollection,get,list,patch,update,watch');
      const explained = await ok(['explain', `${k.plural}.${k.group}`, '--recursive']);
      expect(explained, k.kind).toContain(`KIND:       ${k.kind}`);
      expect(explained, k.kind).toContain('spec\t<Object>');
    }
  }, 180_000);

  it('events lists the Events of a namespace', async () => {
    await ok(['-n', 'k2', 'create', 'configmap', 'evented']);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'evented.1', namespace: 'k2' },
      involvedObject: { kind: 'ConfigMap', name: 'evented', namespace: 'k2', apiVersion: 'v1' },
      reason: 'Checked',
      message: 'looked at it',
      type: 'Normal',
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
      source: { component: 'test' },
    };
    await ok(['create', '-f', manifest('event.json', JSON.stringify(event))]);
    const out = await ok(['events', '-n', 'k2', '--for', 'configmap/evented']);
    expect(out).toMatch(/Normal\s+Checked\s+ConfigMap\/evented\s+looked at it/);
  });
});
