// The embedded API server on a thread of its own (node:worker_threads), so the embedded default uses two cores:
// the server's request handling, storage and watch fan-out no longer queue behind the handlers' reconciles on
// one event loop. Same interface as startApiServer; the host talks to it over HTTPS exactly as before, and
// over the worker's message port only to start, stop and ask for statistics.
import { writeFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { type ApiServer, type ApiServerOptions, kubeconfigYaml } from './index.ts';

/** What crosses to the thread: the options minus functions (a logger is forwarded line by line). */
export type WorkerApiServerOptions = Omit<ApiServerOptions, 'resolveService'>;

/** Messages from the thread (worker-main.ts). */
export type FromServerThread =
  | { type: 'ready'; url: string; port: number; caPem: string; token: string }
  | { type: 'failed'; message: string; name?: string; code?: string; stack?: string }
  | { type: 'log'; line: string }
  | { type: 'reply'; id: number; value?: unknown; error?: string };

/** The log line the thread sends when its stop failed, before it exits with code 1. */
export const STOP_FAILED = 'apiserver: stop failed: ';

/** Messages to the thread. */
export type ToServerThread = { type: 'stop' | 'compactHistory'; id: number };

/** An error the thread's start failed with, rebuilt with its code (EADDRINUSE decides the caller's message). */
function rebuilt(m: { message: string; name?: string; code?: string; stack?: string }): Error {
  const e = new Error(m.message) as NodeJS.ErrnoException;
  if (m.name) e.name = m.name;
  if (m.code) e.code = m.code;
  if (m.stack) e.stack = m.stack;
  return e;
}

export async function startApiServerInWorker(opts: WorkerApiServerOptions = {}): Promise<ApiServer> {
  const { logger, ...data } = opts;
  const worker = new Worker(new URL('./worker-main.ts', import.meta.url), {
    workerData: { ...data, forwardLog: Boolean(logger) },
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
  void exit.then((code) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`the API server thread exited (code ${code})`));
    pending.clear();
  });
  const ready = new Promise<Extract<FromServerThread, { type: 'ready' }>>((resolve, reject) => {
    worker.on('message', (m: FromServerThread) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'failed') reject(rebuilt(m));
      else if (m.type === 'log') logger?.(m.line);
      else if (m.type === 'reply') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.value);
      }
    });
    // An error thrown on the thread outside a request (the server catches those) ends it: say so, never hang.
    worker.once('error', reject);
    void exit.then((code) => reject(new Error(`the API server thread exited during start (code ${code})`)));
  });
  let info: Awaited<typeof ready>;
  try {
    info = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  let stopping: Promise<void> | undefined;
  let stopError: unknown;
  // Until stop, the thread failing is the host failing, as it was with the server on the host's own event loop:
  // nothing would answer the handlers, so the error is thrown where nothing can swallow it. While stopping, it
  // is what stop() rejects with.
  worker.on('error', (e) => {
    if (stopping) stopError ??= e;
    else
      process.nextTick(() => {
        throw e;
      });
  });
  worker.on('message', (m: FromServerThread) => {
    if (stopping && m.type === 'log' && m.line.startsWith(STOP_FAILED)) stopError ??= new Error(m.line);
  });
  void exit.then((code) => {
    if (!stopping)
      process.nextTick(() => {
        throw new Error(`the embedded API server's thread exited unexpectedly (code ${code})`);
      });
  });
  const call = (type: ToServerThread['type']): Promise<unknown> => {
    if (exited) return Promise.reject(new Error('the API server thread has exited'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ type, id } satisfies ToServerThread);
    });
  };
  const kubeconfig = () => kubeconfigYaml(info.url, info.caPem, info.token);
  return {
    url: info.url,
    port: info.port,
    caPem: info.caPem,
    token: info.token,
    kubeconfig,
    writeKubeconfig: (path: string) => writeFile(path, kubeconfig(), { mode: 0o600 }),
    // Test hooks: on a thread they answer asynchronously (await compactHistory before relying on it); storeStats,
    // which the soak bench samples synchronously, is only offered in process.
    compactHistory: () => call('compactHistory').then(() => {}),
    storeStats: () => {
      throw new Error('storeStats: the API server runs on a thread; use startApiServer for in-process statistics');
    },
    stop: () => {
      stopping ??= (async () => {
        if (!exited) void call('stop').catch(() => {});
        // As the in-process server's stop rejects when the log's last flush fails, so does this one.
        const code = await exit;
        if (stopError) throw stopError;
        if (code !== 0) throw new Error(`the API server thread stopped with exit code ${code}`);
      })();
      return stopping;
    },
  };
}
