// Probes for the bridge's Deployment, on a port of their own: `/healthz` answers while the process
// does (with the bridge's counters, for a human with curl), `/readyz` once the checkpoint is loaded and
// the watches run, and no longer once it is stopping. A stalled bus is deliberately not "unhealthy":
// the bridge already holds back and retries, and a restart would not bring the bus back.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthSource {
  ready(): boolean;
  report(): Record<string, unknown>;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export function startHealthServer(port: number, source: HealthSource): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'GET only' });
    if (path === '/healthz' || path === '/livez') return send(200, { status: 'ok', ...source.report() });
    if (path === '/readyz') {
      const ready = source.ready();
      return send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...source.report() });
    }
    send(404, { error: 'not found; try /healthz or /readyz' });
  });
  // Probe connections are short; do not let an idle keep-alive socket delay the shutdown.
  server.keepAliveTimeout = 1_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
