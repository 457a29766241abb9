// The command line when the cluster cannot be reached or described: one line saying what is wrong and the fix,
// exit 1, never a stack trace; with nothing configured, the embedded default in the working folder is used
// and the command says so.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { eventually, tempDir } from '../support/env.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function run(args: string[], o: { cwd: string; home: string; env?: NodeJS.ProcessEnv }) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: o.home, KUBECONFIG: '', ...o.env };
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

// Every command that talks to a cluster, under each bad condition. The bridge is a service: its one failure line is
// a JSON log record, which names the same fix.
const EVENTS = join(ROOT, 'events');
const BUS = JSON.stringify({ kind: 'eventbridge', busName: 'capi-fn', region: 'us-east-1' });
const COMMANDS: Array<[string, string[]]> = [
  ['get', ['get', 'machines', '-A']],
  ['invoke machine', ['invoke', 'machine', '--event', join(EVENTS, 'machine-modified.json')]],
  ['invoke machineset', ['invoke', 'machineset', '--event', join(EVENTS, 'machineset-added.json')]],
  ['invoke drift', ['invoke', 'drift', '--event', join(EVENTS, 'schedule-tick.json')]],
  ['invoke webhooks', ['invoke', 'webhooks', '--event', join(EVENTS, 'admissionreview-machineset-create.json')]],
  [
    'invoke cluster-capi-operator',
    ['invoke', 'cluster-capi-operator', '--event', join(EVENTS, 'featuregate-modified.json')],
  ],
  ['bridge', ['bridge', '--bus', BUS]],
  ['deploy knative', ['deploy', 'knative']],
];

describe('every cluster command under each bad condition', () => {
  const home = tempDir('capi-fn-home-');
  const cwd = tempDir('capi-fn-cwd-');
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({});
    writeFileSync(join(cwd, 'broken.yaml'), 'garbage: [\n');
    writeFileSync(join(cwd, 'unreachable.yaml'), UNREACHABLE);
    writeFileSync(join(cwd, 'wrong-token.yaml'), api.kubeconfig().replace(/token: .*/, 'token: not-the-token'));
  });
  afterAll(async () => {
    await api?.stop();
  });

  const CONDITIONS: Array<[string, string[], RegExp]> = [
    ['no kubeconfig', [], /no kubeconfig found at .*\.kube\/config; pass --kubeconfig or set KUBECONFIG/],
    ['an invalid kubeconfig', ['--kubeconfig', 'broken.yaml'], /broken\.yaml is not a kubeconfig; fix the file/],
    [
      'an unreachable server',
      ['--kubeconfig', 'unreachable.yaml'],
      /cannot reach the API server \(ECONNREFUSED\)|kubectl cannot use the cluster \(.*(connection|server 127\.0\.0\.1:1) (was )?refused.*\)/,
    ],
    [
      'refused credentials',
      ['--kubeconfig', 'wrong-token.yaml'],
      /refused the credentials \(401 Unauthorized\); use a kubeconfig whose token is current|kubectl cannot use the cluster \(.*Unauthorized.*\)/,
    ],
  ];

  // The bridge is a service: a server that does not answer yet is waited for (below), not a failure.
  for (const [command, args] of COMMANDS)
    it.each(CONDITIONS.filter(([what]) => command !== 'bridge' || what !== 'an unreachable server'))(
      `${command}, %s: one line naming the fix, exit 1`,
      async (_what, flags, line) => {
        const r = await run([...flags, ...args], {
          cwd,
          home,
          env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' },
        });
        // The bridge is a service: its failure is one JSON log record on stdout, naming the same fix.
        const [said, rest] = command === 'bridge' ? [r.stdout, r.stderr] : [r.stderr, r.stdout];
        expect(r.status, said).toBe(1);
        const lines = said.trim().split('\n');
        expect(lines, said).toHaveLength(1);
        expect(command === 'bridge' ? (JSON.parse(lines[0]!) as { msg: string }).msg : lines[0]).toMatch(line);
        expect(said).not.toMatch(/^\s+at /m);
        // Nothing reached the cluster, so nothing else is printed.
        expect(rest).toBe('');
      },
    );
});

describe('the bridge while the API server does not answer', () => {
  it('waits for it, saying what fails, and a SIGTERM meanwhile ends it cleanly (nothing to save)', async () => {
    const home = tempDir('capi-fn-home-');
    const cwd = tempDir('capi-fn-cwd-');
    writeFileSync(join(cwd, 'unreachable.yaml'), UNREACHABLE);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      KUBECONFIG: '',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
    };
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/capi-fn.js'), '--kubeconfig', 'unreachable.yaml', 'bridge', '--bus', BUS],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually('a retry line', async () => out.includes('reading the checkpoint failed; retrying'));
    expect(out).toContain('ECONNREFUSED');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped before the checkpoint was read; nothing to save');
  }, 60_000);
});
