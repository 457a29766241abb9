// Another client than kubectl and our own: Debian's Python Kubernetes client lists, pages, selects, watches (with and
// without a resourceVersion, with bookmarks), patches (merge, JSON, strategic on a built-in), scales through the scale
// subresource and meets 409s, 404s and 422s where kube-apiserver gives them. The checks are in
// python_client_suite.py; each prints one JSON line, and every one must pass.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { toCrd } from '../../shared/api/crd.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { hasPeer, PYTHON } from '../support/peers.ts';

interface Check {
  check: string;
  ok: boolean;
  detail: unknown;
  trace?: string;
}

describe.skipIf(!hasPeer('python-kubernetes'))('the Python Kubernetes client against the embedded API server', () => {
  let api: ApiServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capi-fn-python-'));
    api = await startApiServer({ crds: allKinds.map((k) => toCrd(k)) });
    await api.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every check of the suite passes', async () => {
    const suite = join(import.meta.dirname, 'python_client_suite.py');
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(PYTHON, [suite, join(dir, 'kubeconfig'), 'python-client'], {
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    const lines = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Check & { summary?: boolean; checks?: number; failed?: number });
    const checks = lines.filter((l) => !l.summary);
    const failed = checks.filter((c) => !c.ok).map((c) => `${c.check}: ${String(c.detail)}\n${c.trace ?? ''}`);
    expect(failed, out.stderr).toEqual([]);
    expect(checks.length).toBe(12);
    expect(out.code).toBe(0);
  }, 120_000);
});
