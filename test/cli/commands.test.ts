// The command line against a running embedded default: get, invoke with every sample event, doctor.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Embedded, startEmbedded } from '../../local/embedded/system.ts';
import { parseResourceEvent, SCHEDULE_TICK_TYPE } from '../../shared/events/resource-event.ts';
import { eventually, tempDir } from '../support/env.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const EVENTS = join(ROOT, 'events');
let sys: Embedded;

/** Runs the CLI without blocking this process: the API server it talks to lives in this process. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return cliWith({}, ...args);
}

function cliWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/capi-fn.js'), ...args],
      { encoding: 'utf8', timeout: 60_000, cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  sys = await startEmbedded({
    dataDir: tempDir('capi-fn-cli-'),
    port: 0,
    platform: 'local',
    sample: true,
    sampleReplicas: 2,
    bootDelayMs: 100,
  });
  await eventually('2 Running machines', async () => {
    const ms = await sys.kube.listAll(
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
      { namespace: 'openshift-cluster-api' },
    );
    return (
      ms.items.length === 2 && ms.items.every((m) => (m.status as { phase?: string } | undefined)?.phase === 'Running')
    );
  });
}, 120_000);
afterAll(() => sys?.stop());

describe('event samples', () => {
  const files = readdirSync(EVENTS).filter((f) => f.endsWith('.json'));
  it('cover every trigger: a watch event per kind, the schedule tick and an AdmissionReview', async () => {
    const kinds = new Set<string>();
    let tick = 0;
    let review = 0;
    for (const f of files) {
      const raw = JSON.parse(readFileSync(join(EVENTS, f), 'utf8')) as { type?: string; kind?: string };
      if (raw.type === SCHEDULE_TICK_TYPE) tick++;
      else if (raw.kind === 'AdmissionReview') review++;
      else {
        const r = parseResourceEvent(raw);
        expect(r.ok, `${f}: ${r.ok ? '' : r.reason}`).toBe(true);
        if (r.ok) kinds.add(r.event.data.ref.kind);
      }
    }
    expect(tick).toBe(1);
    expect(review).toBeGreaterThanOrEqual(1);
    for (const k of [
      'Cluster',
      'MachineSet',
      'Machine',
      'LocalMachine',
      'LocalCluster',
      'AWSMachine',
      'AWSCluster',
      'Node',
      'FeatureGate',
      'Infrastructure',
    ])
      expect(kinds).toContain(k);
  });
});

describe('capi-fn commands', () => {
  it('get machines lists machines with their fully qualified resource; -o json gives a List', async () => {
    const r = await cli('get', 'machines', '--kubeconfig', sys.kubeconfigPath);
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^RESOURCE\s+NAMESPACE\s+NAME\s+PHASE\s+NODE\s+PROVIDERID\s+AGE$/);
    expect(
      rows.slice(1).filter((l) => l.startsWith('machines.cluster.x-k8s.io') && l.includes('Running')),
    ).toHaveLength(2);
    const json = JSON.parse(
      (await cli('get', 'machinesets', '-A', '-o', 'json', '--kubeconfig', sys.kubeconfigPath)).stdout,
    ) as { kind: string; items: unknown[] };
    expect(json.kind).toBe('List');
    expect(json.items).toHaveLength(1);
  });

  it('get rejects what it does not know with a usage error', async () => {
    const r = await cli('get', 'pods', '--kubeconfig', sys.kubeconfigPath);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('use machines, machinesets or clusters');
  });

  it('invoke runs one handler once with a sample event', async () => {
    const r = await cli(
      'invoke',
      'machineset',
      '--event',
      join(EVENTS, 'machineset-resync.json'),
      '--kubeconfig',
      sys.kubeconfigPath,
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ status: 'done' });
    expect(r.status).toBe(0);
    const malformed = await cli(
      'invoke',
      'machine',
      '--event',
      join(EVENTS, 'schedule-tick.json'),
      '--kubeconfig',
      sys.kubeconfigPath,
    );
    expect(malformed.status).toBe(1);
    expect(JSON.parse(malformed.stdout.trim())).toMatchObject({ status: 'dead-letter' });
  });

  it('invoke webhooks answers an AdmissionReview as the API server would get it', async () => {
    const sample = join(EVENTS, 'admissionreview-machineset-create.json');
    const ok = await cli('invoke', 'webhooks', '--event', sample, '--kubeconfig', sys.kubeconfigPath);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ kind: 'AdmissionReview', response: { allowed: true } });
    const mutate = await cli(
      'invoke',
      'webhooks',
      '--mode',
      'mutate',
      '--event',
      sample,
      '--kubeconfig',
      sys.kubeconfigPath,
    );
    expect(JSON.parse(mutate.stdout).response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });

    // The same request for an object outside openshift-cluster-api is denied, naming the field and the fix.
    const review = JSON.parse(readFileSync(sample, 'utf8')) as {
      request: { namespace: string; object: { metadata: { namespace: string } } };
    };
    review.request.namespace = 'default';
    review.request.object.metadata.namespace = 'default';
    const file = join(sys.dataDir, 'review-default-ns.json');
    writeFileSync(file, JSON.stringify(review));
    const denied = await cli('invoke', 'webhooks', '--event', file, '--kubeconfig', sys.kubeconfigPath);
    expect(denied.status).toBe(1);
    const response = JSON.parse(denied.stdout).response as { allowed: boolean; status: { message: string } };
    expect(response.allowed).toBe(false);
    expect(response.status.message).toMatch(/metadata\.namespace/);
    expect(response.status.message).toContain('openshift-cluster-api');
  });

  it('invoke drift lists what it would resync: what drifted by default, everything with CAPI_FN_DRIFT_MODE=full', async () => {
    const args = ['invoke', 'drift', '--event', join(EVENTS, 'schedule-tick.json'), '--kubeconfig', sys.kubeconfigPath];
    type Line = { resync?: string; reason?: string; resynced?: number; mode?: string; drifted?: unknown[] };
    const parse = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
    const detect = await cli(...args);
    expect(detect.status).toBe(0);
    const d = parse(detect.stdout);
    const last = d.at(-1)!;
    expect(last.mode).toBe('detect');
    expect(last.resynced).toBe(d.length - 1);
    expect(last.drifted).toHaveLength(d.length - 1);
    expect(d.slice(0, -1).every((l) => l.reason)).toBe(true);
    const full = await cliWith({ CAPI_FN_DRIFT_MODE: 'full' }, ...args);
    expect(full.status).toBe(0);
    const f = parse(full.stdout);
    expect(f.filter((l) => l.resync?.startsWith('cluster.x-k8s.io/v1beta1/Machine/')).length).toBe(2);
    expect(f.at(-1)).toMatchObject({ mode: 'full', resynced: f.length - 1 });
    const wrong = await cliWith({ CAPI_FN_DRIFT_MODE: 'sometimes' }, ...args);
    expect(wrong.stderr).toContain('CAPI_FN_DRIFT_MODE=sometimes: must be "detect"');
  });

  it('invoke refuses handlers that only run inside capi-fn up', async () => {
    const r = await cli(
      'invoke',
      'local-machine',
      '--event',
      join(EVENTS, 'localmachine-modified.json'),
      '--kubeconfig',
      sys.kubeconfigPath,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the simulated cloud lives inside `capi-fn up`');
  });

  it('doctor prints each check and fails on an unreachable API with a fix', async () => {
    const ok = await cli('doctor', '--kubeconfig', sys.kubeconfigPath);
    expect(ok.stdout).toMatch(/^ok\s+API server: https:\/\/127\.0\.0\.1:\d+/m);
    expect(ok.stdout).toMatch(/^ok\s+CRDs: \d+ installed and current$/m);
    expect(ok.status).toBe(0);
    const bad = await cli('doctor', '--kubeconfig', join(ROOT, 'nope.yaml'));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FAIL kubeconfig');
  });

  it('--help works on every command', async () => {
    for (const c of ['up', 'get', 'invoke', 'doctor', 'bridge', 'apiserver', 'emulator']) {
      const r = await cli(c, '--help');
      expect(r.status, c).toBe(0);
      expect(r.stdout).toContain('--kubeconfig');
    }
  });
});
