// The API server thread's entry (worker.ts starts it): starts the server with the options it was given, says
// where it listens, answers stop and the test hooks, and exits once stopped.
import { parentPort, workerData } from 'node:worker_threads';
import { startApiServer } from './index.ts';
import { type FromServerThread, STOP_FAILED, type ToServerThread, type WorkerApiServerOptions } from './worker.ts';

const port = parentPort;
if (!port) throw new Error('worker-main.ts runs as a worker thread (local/apiserver/worker.ts starts it)');
const post = (m: FromServerThread) => port.postMessage(m);
const { forwardLog, ...opts } = workerData as WorkerApiServerOptions & { forwardLog: boolean };

try {
  const api = await startApiServer({
    ...opts,
    ...(forwardLog ? { logger: (line: string) => post({ type: 'log', line }) } : {}),
  });
  port.on('message', (m: ToServerThread) => {
    const reply = (value?: unknown) => post({ type: 'reply', id: m.id, value });
    // The host waits for the thread's exit; process.exit on a worker ends only the thread. A stop that fails (the
    // log's last flush) still ends it, with the reason in the log and a non-zero exit code, so stop never hangs.
    if (m.type === 'stop')
      api.stop().then(
        () => process.exit(0),
        (e: unknown) => {
          post({ type: 'log', line: `${STOP_FAILED}${(e as Error).message ?? String(e)}` });
          process.exit(1);
        },
      );
    else if (m.type === 'compactHistory') {
      try {
        api.compactHistory();
        reply();
      } catch (e) {
        post({ type: 'reply', id: m.id, error: (e as Error).message ?? String(e) });
      }
    }
  });
  post({ type: 'ready', url: api.url, port: api.port, caPem: api.caPem, token: api.token });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  post({
    type: 'failed',
    message: err.message ?? String(e),
    ...(err.name ? { name: err.name } : {}),
    ...(err.code ? { code: err.code } : {}),
    ...(err.stack ? { stack: err.stack } : {}),
  });
  port.close();
}
