// `capi-fn bridge` as the Deployment runs it: a child process watching the embedded API server and
// publishing to EventBridge (moto), whose rule routes MachineSet events into an SQS queue this test
// drains. Killed with SIGKILL mid-stream and restarted, it loses no change; SIGTERM stops it cleanly
// (exit 0, checkpoint saved) and the next start resumes from that checkpoint without replaying.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointKey } from '../../functions/bridge/checkpoint.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { EventBridgeBus } from '../../shared/bus/eventbridge.ts';
import type { Consumer } from '../../shared/bus/types.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { allCrds, connectionFor, eventually, tempDir } from '../support/env.ts';
import { type Moto, motoEnv, startMoto } from '../support/moto.ts';
import { hasPeer } from '../support/peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'capi-fn.js');
const BUS_NAME = 'capifn-bridge-process';
const NS = 'default';
const MS = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };
const CHECKPOINT = { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'capi-fn-bridge' };
const MS_KEY = checkpointKey('cluster.x-k8s.io', 'MachineSet');

interface Seen {
  type: string;
  name: string;
  rv: string;
}

/** One `capi-fn bridge` child: its JSON log lines and its exit. */
class BridgeProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [BIN, 'bridge', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ msg: `(not JSON) ${line}` });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  log(msg: string): Promise<Record<string, unknown>> {
    return eventually(
      `log "${msg}" (stderr: ${this.stderr.slice(-500)})`,
      async () => this.logs.find((l) => l.msg === msg),
      { timeoutMs: 30_000 },
    );
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
    );
  });
}

// Each case starts the whole CLI (about 2 s); the --bus parsing itself is unit-tested in local/cli/bus-option.test.ts.
describe('capi-fn bridge: usage errors (exit 2, nothing started)', () => {
  it.each([
    ['no bus at all', [], /no bus configured: pass --bus <json\|@file> or set CAPI_FN_BUS_CONFIG/],
    ['the in-process bus', ['--bus', '{"kind":"in-process"}'], /a standalone bridge has none/],
    ['JSON that is not a bus', ['--bus', '{"kind":"eventbridge"}'], /invalid bus config: .*\n.*busName/],
    ['a bad health port', ['--bus', '{"kind":"eventbridge","busName":"b"}', '--health-port', 'x'], /invalid port: x/],
  ])('%s', async (_what, args, message) => {
    const r = await run(['bridge', ...args], { CAPI_FN_BUS_CONFIG: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe.skipIf(!hasPeer('moto_server'))('capi-fn bridge as a process (EventBridge + SQS on moto)', () => {
  let api: ApiServer;
  let moto: Moto;
  let kube: KubeClient;
  let kubeconfig: string;
  let sqsBus: EventBridgeBus;
  let consumer: Consumer;
  const seen: Seen[] = [];
  const children: BridgeProcess[] = [];

  /** `viaEnv`: configured as the Deployment does it, by CAPI_FN_BUS_CONFIG and CAPI_FN_NAMESPACE. */
  const startBridge = (o: { viaEnv?: boolean } = {}) => {
    const busConfig = JSON.stringify({ kind: 'eventbridge', busName: BUS_NAME });
    const p = new BridgeProcess(
      [
        '--kubeconfig',
        kubeconfig,
        ...(o.viaEnv ? [] : ['--bus', busConfig, '--checkpoint-namespace', NS]),
        '--source',
        'test-cluster',
        '--health-port',
        '0',
      ],
      { ...motoEnv(moto), ...(o.viaEnv ? { CAPI_FN_BUS_CONFIG: busConfig, CAPI_FN_NAMESPACE: NS } : {}) },
    );
    children.push(p);
    return p;
  };

  const machineSet = (name: string): KubeObject => ({
    ...MS,
    metadata: { name, namespace: NS },
    spec: { clusterName: 'c', replicas: 0, selector: { matchLabels: { set: name } } },
  });
  const scale = (name: string, replicas: number) =>
    kube.patch({ ...MS, namespace: NS, name }, { spec: { replicas } }, { type: 'merge' });
  const arrived = (name: string, rv: string | undefined) => seen.some((s) => s.name === name && s.rv === rv);

  beforeAll(async () => {
    api = await startApiServer({ crds: allCrds() });
    kubeconfig = join(tempDir('capi-fn-bridge-cmd-'), 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    kube = new KubeClient(new HttpsTransport(connectionFor(api)), { fieldManager: 'test' });
    moto = await startMoto();
    Object.assign(process.env, motoEnv(moto));
    // The test's side of the bus: a rule for MachineSet events into an SQS queue, drained here.
    sqsBus = new EventBridgeBus({ busName: BUS_NAME, waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 });
    consumer = await sqsBus.subscribe(
      { handler: 'machineset-probe', kinds: [{ group: 'cluster.x-k8s.io', kind: 'MachineSet' }], statusChanges: true },
      async (raw) => {
        const e = raw as { type: string; data: { ref: { name: string }; resourceVersion: string } };
        seen.push({ type: e.type, name: e.data.ref.name, rv: e.data.resourceVersion });
        return { status: 'done' };
      },
    );
  });

  afterAll(async () => {
    for (const c of children) if (c.running) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await consumer?.stop();
    await sqsBus?.close();
    await moto?.stop();
    await api?.stop();
  });

  it('publishes every change; killed mid-stream (SIGKILL) and restarted, it loses none', async () => {
    const names = ['ms-0', 'ms-1', 'ms-2', 'ms-3'];
    for (const n of names) await kube.create(machineSet(n));
    let bridge = startBridge();
    await bridge.log('bridge running');
    await eventually('the first MachineSet events in SQS', async () =>
      names.every((n) => seen.some((s) => s.name === n)),
    );

    const bornWhileDown = 'ms-late';
    for (let round = 1; round <= 12; round++) {
      for (const n of names.slice(0, 3)) await scale(n, round);
      if (round === 4) {
        // A bridge that has been running: its checkpoint holds a MachineSet position, behind the stream.
        await eventually('a MachineSet position in the checkpoint', async () => {
          const cm = await kube.find<KubeObject & { data?: Record<string, string> }>(CHECKPOINT);
          return cm?.data?.[MS_KEY] !== undefined;
        });
        bridge.kill('SIGKILL');
        expect(await bridge.exited).toEqual({ code: null, signal: 'SIGKILL' });
        // Changes while no bridge runs: a spec change, a delete and a create.
        await kube.delete({ ...MS, namespace: NS, name: 'ms-3' });
        await kube.create(machineSet(bornWhileDown));
      }
      if (round === 7) bridge = startBridge();
    }
    await scale(bornWhileDown, 5);

    const final = new Map<string, string>();
    for (const n of [...names.slice(0, 3), bornWhileDown]) {
      const o = await kube.get({ ...MS, namespace: NS, name: n });
      final.set(n, o.metadata.resourceVersion!);
    }
    await eventually(
      () =>
        `every MachineSet’s final resourceVersion and the delete in SQS (missing: ${[...final]
          .filter(([n, rv]) => !arrived(n, rv))
          .map(([n, rv]) => `${n}@${rv}`)
          .join(
            ', ',
          )}; bridge running ${bridge.running}, stderr: ${bridge.stderr.slice(-300)}, last logs: ${JSON.stringify(bridge.logs.slice(-5))})`,
      async () =>
        [...final].every(([n, rv]) => arrived(n, rv)) &&
        seen.some((s) => s.name === 'ms-3' && s.type === 'io.capifn.resource.deleted'),
      // Patient: the bridge backs off while moto (one Python process) is slow on a loaded CI machine; twice CI
      // waited 45 s here. The assertion is that nothing is lost, not how fast it arrives.
      { timeoutMs: 120_000 },
    );
    expect(seen.some((s) => s.name === bornWhileDown && s.type === 'io.capifn.resource.added')).toBe(true);
    expect(bridge.running).toBe(true);
    expect(bridge.stderr).toBe('');
  }, 200_000);

  it('serves /healthz and /readyz with its counters', async () => {
    const bridge = children.at(-1)!;
    const { port } = (await bridge.log('health endpoint listening (/healthz, /readyz)')) as { port: number };
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ready', phase: 'running' });
    expect(body.published).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  });

  it('SIGTERM: publishes what it holds, saves the checkpoint and exits 0', async () => {
    const bridge = children.at(-1)!;
    const last = await scale('ms-0', 100);
    await eventually('the last change in SQS', async () => arrived('ms-0', last.metadata.resourceVersion));
    bridge.kill('SIGTERM');
    expect(await bridge.exited).toEqual({ code: 0, signal: null });
    expect(bridge.logs.map((l) => l.msg)).toContain('bridge stopped');
    const cm = await kube.get<KubeObject & { data?: Record<string, string> }>(CHECKPOINT);
    expect(Number(cm.data?.[MS_KEY])).toBeGreaterThanOrEqual(Number(last.metadata.resourceVersion));
  });

  it('after a clean stop, the next start (configured from the environment) resumes from the checkpoint and replays nothing', async () => {
    const cm = await kube.get<KubeObject & { data?: Record<string, string> }>(CHECKPOINT);
    const resumeFrom = Number(cm.data?.[MS_KEY]);
    const before = seen.length;
    const bridge = startBridge({ viaEnv: true });
    await bridge.log('bridge running');
    const next = await scale('ms-1', 200);
    await eventually('the new change in SQS', async () => arrived('ms-1', next.metadata.resourceVersion));
    const replayed = seen.slice(before).filter((s) => Number(s.rv) <= resumeFrom);
    expect(replayed).toEqual([]);
    bridge.kill('SIGTERM');
    expect(await bridge.exited).toEqual({ code: 0, signal: null });
  });
});
