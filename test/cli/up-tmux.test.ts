// `capi-fn up` in a real terminal: tmux starts it, the test reads the screen, scales with kubectl,
// watches the live view change, stops it with Ctrl-C, restarts it and finds the same machines.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, tempDir } from '../support/env.ts';
import { hasPeer } from '../support/peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'openshift-cluster-api';
const MS = 'capi-fn-local-7x2kq-worker-local-a';
const run = hasPeer('tmux') && hasPeer('kubectl');

const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

function startUp(session: string, dataDir: string, extra: string[] = []): void {
  // The exit status is printed into the pane so the test can read it after the process ends.
  const cmd = `${[process.execPath, join(ROOT, 'bin/capi-fn.js'), 'up', '--data-dir', dataDir, '--port', '0', '--boot-delay', '300ms', ...extra].join(' ')}; echo "exit status $?"`;
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', '-c', ROOT, cmd);
  tmux('set-option', '-t', session, 'remain-on-exit', 'on');
  sessions.push(session);
}

function screen(session: string): string {
  return tmux('capture-pane', '-p', '-t', session);
}

function paneDead(session: string): boolean {
  return tmux('display-message', '-p', '-t', session, '#{pane_dead}').trim() === '1';
}

/** The MachineSet row of the live view: DESIRED CURRENT READY AVAILABLE. */
function machineSetRow(text: string): number[] | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${NS}/${MS} `));
  return line?.trim().split(/\s+/).slice(1, 5).map(Number);
}

function runningMachines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${NS}/${MS}-`) && /\sRunning\s/.test(l))
    .map((l) => l.split(/\s+/)[0]!);
}

function kubectl(dataDir: string, ...args: string[]): string {
  return execFileSync(
    'kubectl',
    ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', join(dataDir, 'kubectl-cache'), ...args],
    { encoding: 'utf8' },
  );
}

describe.skipIf(!run)('capi-fn up in a terminal', () => {
  it('shows machines coming up, follows kubectl scale, stops on Ctrl-C and keeps state across restarts', async () => {
    const dir = tempDir('capi-fn-up-');
    const s1 = `capifn-up-${process.pid}-1`;
    startUp(s1, dir);

    const first = await eventually(
      '3 ready machines on screen',
      async () => {
        const t = screen(s1);
        return machineSetRow(t)?.join(' ') === '3 3 3 3' && runningMachines(t).length === 3 ? t : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(first).toContain(`kubeconfig: ${join(dir, 'kubeconfig')}`);
    expect(first).toContain('get machines.cluster.x-k8s.io -n openshift-cluster-api');
    expect(first).toContain('(platform local, feature set TechPreviewNoUpgrade,');
    // The operator installed the Cluster API and reports it, as `oc get clusteroperator cluster-api` would.
    expect(first).toMatch(
      /clusteroperator\/cluster-api: Available=True Progressing=False Degraded=False Upgradeable=False/,
    );

    kubectl(dir, 'scale', `machineset.cluster.x-k8s.io/${MS}`, '-n', NS, '--replicas=5');
    const scaled = await eventually(
      '5 ready machines on screen',
      async () => {
        const t = screen(s1);
        return machineSetRow(t)?.join(' ') === '5 5 5 5' && runningMachines(t).length === 5 ? t : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const names = runningMachines(scaled).sort();

    const table = kubectl(dir, 'get', 'machines.cluster.x-k8s.io', '-n', NS);
    expect(table.split('\n').filter((l) => /\sRunning\s/.test(l))).toHaveLength(5);

    // A second instance on the same data folder refuses with a clear message.
    const second = spawnSync(process.execPath, [join(ROOT, 'bin/capi-fn.js'), 'up', '--data-dir', dir, '--port', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another capi-fn \(pid \d+\) is already running on .*; stop it first/);

    // A port already in use gives a clear message and names the flag.
    const port = new URL(
      (/server: (\S+)/.exec(readFileSync(join(dir, 'kubeconfig'), 'utf8')) ?? [])[1] ?? 'https://x:1',
    ).port;
    const clash = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/capi-fn.js'), 'up', '--data-dir', tempDir('capi-fn-up-b-'), '--port', port],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(clash.status).toBe(1);
    expect(clash.stderr).toContain(`port ${port} on 127.0.0.1 is already in use; choose another with --port N`);

    tmux('send-keys', '-t', s1, 'C-c');
    const stopped = await eventually('clean stop', async () => (paneDead(s1) ? screen(s1) : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(stopped).toContain('capi-fn: stopped');
    expect(stopped).toContain('exit status 0');

    const s2 = `capifn-up-${process.pid}-2`;
    startUp(s2, dir);
    const again = await eventually(
      'the same 5 machines after a restart',
      async () => {
        const t = screen(s2);
        return machineSetRow(t)?.join(' ') === '5 5 5 5' && runningMachines(t).length === 5 ? t : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(runningMachines(again).sort()).toEqual(names);
    tmux('send-keys', '-t', s2, 'C-c');
    await eventually('second clean stop', async () => paneDead(s2), { timeoutMs: 30_000, intervalMs: 200 });
  }, 240_000);
});
