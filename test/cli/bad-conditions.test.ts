// The command line when the cluster cannot be reached or described: one line saying what is wrong and the fix,
// exit 1, never a stack trace; with nothing configured, the embedded default in the working folder is used
// and the command says so.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/env.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function run(args: string[], o: { cwd: string; home: string }) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: o.home, KUBECONFIG: '' };
    delete env.KUBERNETES_SERVICE_HOST;
    execFile(
      process.execPath,
      [join(ROOT, 'bin/capi-fn.js'), ...args],
      { encoding: 'utf8', timeout: 60_000, cwd: o.cwd, env },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const UNREACHABLE = `apiVersion: v1
kind: Config
current-context: x
clusters: [{name: x, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: x, user: {token: abc}}]
contexts: [{name: x, context: {cluster: x, user: x}}]
`;

describe('capi-fn under bad conditions', () => {
  const home = tempDir('capi-fn-home-');
  const cwd = tempDir('capi-fn-cwd-');

  it.each([
    [
      'no kubeconfig at all',
      [] as string[],
      /^capi-fn: no kubeconfig found at .*\.kube\/config; pass --kubeconfig or set KUBECONFIG\n$/,
    ],
    [
      'a kubeconfig that is not YAML',
      ['--kubeconfig', 'broken.yaml'],
      /^capi-fn: broken\.yaml is not a kubeconfig; fix the file or pass another with --kubeconfig: .*line 2.*\n$/,
    ],
    [
      'a server that does not answer',
      ['--kubeconfig', 'unreachable.yaml'],
      /^capi-fn: cannot reach the API server \(ECONNREFUSED\): .*; check that it runs \(npm start\) and the kubeconfig's server\n$/,
    ],
  ])('%s: one line, exit 1', async (_what, extra, line) => {
    writeFileSync(join(cwd, 'broken.yaml'), 'garbage: [\n');
    writeFileSync(join(cwd, 'unreachable.yaml'), UNREACHABLE);
    const r = await run(['get', 'machines', '-A', ...extra], { cwd, home });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(line);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it.each([
    ['a missing argument', ['get']],
    ['an unknown option', ['get', 'machines', '--bogus']],
    ['a missing required option', ['invoke', 'machine']],
    ['an unknown subcommand', ['emulator', 'nope']],
    ['an unknown command', ['nope']],
  ])('usage error, %s: the error and where the usage is, exit 2', async (_what, args) => {
    const r = await run(args, { cwd, home });
    expect(r.status).toBe(2);
    // Commander may add its "(Did you mean …?)" suggestion between the two.
    expect(r.stderr).toMatch(/^error: .+\n(\(Did you mean .+\?\)\n)?\(run it with --help for its usage\)\n$/);
  });

  it('uses the embedded default of the working folder when nothing else is configured, and says so', async () => {
    const folder = tempDir('capi-fn-embedded-cwd-');
    mkdirSync(join(folder, '.capi-fn'));
    writeFileSync(join(folder, '.capi-fn', 'kubeconfig'), UNREACHABLE);
    const r = await run(['get', 'machines', '-A'], { cwd: folder, home });
    expect(r.stderr.split('\n')[0]).toBe('capi-fn: using .capi-fn/kubeconfig (the embedded default in this folder)');
    expect(r.stderr).toContain('https://127.0.0.1:1');
    expect(r.status).toBe(1);
  });
});
