// Starts a third-party peer (moto_server, the Pub/Sub emulator, Azurite) on a free 127.0.0.1 port,
// waits until it answers HTTP, and stops it by PID. Each peer runs in its own process group so that
// wrapper scripts (pyenv shims, the emulator's launcher) cannot leave a child behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface RunningPeer {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** Kills the process group, waits for the exit, escalates to SIGKILL. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function answers(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const live = new Set<ChildProcess>();
function killAll(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
}
// Last resort if a test run dies before its afterAll (a killed worker, Ctrl-C): never leave a peer behind.
process.once('exit', killAll);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll();
    // The handler replaced the default action; re-raise so the process still dies of the signal.
    process.kill(process.pid, sig);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export interface PeerSpec {
  name: string;
  command: string;
  args: (port: number) => string[];
  /** HTTP path that any response to (whatever the status) means "up". */
  readyPath: string;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

class PortTaken extends Error {}

/**
 * Starts the peer on a free port. A free port can be taken by another process before the peer binds it
 * (tests start peers in parallel): then the peer exits at once, and it is started again on another port.
 */
export async function startPeer(spec: PeerSpec): Promise<RunningPeer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPeerOnce(spec);
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt >= 4) throw e;
    }
  }
}

async function startPeerOnce(spec: PeerSpec): Promise<RunningPeer> {
  const port = await freePort();
  const child = spawn(spec.command, spec.args(port), {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => {
    exitedEarly = true;
    live.delete(child);
  });
  const stop = async () => {
    if (!exitedEarly) {
      killGroup(child, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        killGroup(child, 'SIGKILL');
        await exited;
      }
    }
    live.delete(child);
  };
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  const taken = () => /address already in use|EADDRINUSE|port .* is in use/i.test(stderr);
  while (!(await answers(port, spec.readyPath))) {
    if (exitedEarly) {
      if (taken()) throw new PortTaken(`${spec.name}: port ${port} was taken before it bound it`);
      throw new Error(`${spec.name} exited before answering on port ${port}: ${stderr}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} did not answer on port ${port} in time: ${stderr}`);
    }
    await sleep(100);
  }
  // Whoever answered may be another process on that port while ours failed to bind and is exiting.
  await sleep(150);
  if (exitedEarly) {
    if (taken()) throw new PortTaken(`${spec.name}: port ${port} was taken before it bound it`);
    throw new Error(`${spec.name} exited right after port ${port} answered: ${stderr}`);
  }
  if (child.pid === undefined) throw new Error(`${spec.name} has no pid`);
  return { name: spec.name, port, pid: child.pid, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
