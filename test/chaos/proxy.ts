// A fault-injecting proxy between capi-fn's handlers and bridge and the (embedded) Kubernetes API server: plain
// HTTP in, HTTPS to the upstream. At `rate`, a request meets one fault, chosen by a seeded generator so that a
// failing run replays from its seed:
//   conflict     409 Conflict Status (PUT and PATCH only: on a create, a 409 would claim an object exists)
//   throttle     429 TooManyRequests with Retry-After: 1
//   unavailable  500 or 503 Status, nothing done
//   reset        the connection reset before the request is sent (nothing done)
//   reset-after  the request is done upstream, then the connection is reset before the answer (a lost reply)
//   latency      50–300 ms added
// and a watch stream meets one of:
//   cut          the stream ends after a few events
//   gone         410 Gone before the first event (the client must relist)
//   error-410    an ERROR event carrying a 410 Status after a few events, then the end
//   no-bookmarks every BOOKMARK line withheld
// `upstream` may change (an API server restarted on its data directory listens on a new port).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, request } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '../../shared/bus/random.ts';

export type RequestFault = 'conflict' | 'throttle' | 'unavailable' | 'reset' | 'reset-after' | 'latency';
export type WatchFault = 'cut' | 'gone' | 'error-410' | 'no-bookmarks';

export interface ChaosProxy {
  readonly url: string;
  /** Faults injected so far, by kind. */
  readonly injected: Map<RequestFault | WatchFault, number>;
  readonly requests: { total: number; watches: number };
  /** The share of requests (and of watches) that meet a fault; 0 turns faults off. */
  rate: number;
  upstream: { url: string; ca: string };
  close(): Promise<void>;
}

/** The bus's seeded generator (mulberry32): the same sequence for the same seed on every machine. */
export const seeded = seededRandom;

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** kube-apiserver's parsing of a boolean query parameter (strconv.ParseBool's true forms). */
function isWatch(u: URL): boolean {
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(u.searchParams.get('watch') ?? '');
}

export async function startChaosProxy(o: {
  upstream: { url: string; ca: string };
  seed: number;
  rate?: number;
}): Promise<ChaosProxy> {
  const random = seeded(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const injected = new Map<RequestFault | WatchFault, number>();
  const count = (f: RequestFault | WatchFault) => injected.set(f, (injected.get(f) ?? 0) + 1);
  let agent = new Agent({ keepAlive: true, maxSockets: 64, ca: o.upstream.ca });
  const sockets = new Set<Socket>();

  const proxy: ChaosProxy = {
    url: '',
    injected,
    requests: { total: 0, watches: 0 },
    rate: o.rate ?? 0,
    get upstream() {
      return upstreamNow;
    },
    set upstream(u) {
      upstreamNow = u;
      agent.destroy();
      agent = new Agent({ keepAlive: true, maxSockets: 64, ca: u.ca });
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  let upstreamNow = o.upstream;

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, watchFault?: WatchFault) => {
    const target = new URL(req.url ?? '/', upstreamNow.url);
    const headers = { ...req.headers, host: target.host };
    const up = request(target, { method: req.method, headers, agent }, (ur) => {
      if (!watchFault || ur.statusCode !== 200) {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        return;
      }
      res.writeHead(200, ur.headers);
      // A watch: one JSON event per line. Cut, poison or filter it as chosen.
      const after = 1 + Math.floor(random() * 4);
      let seen = 0;
      let buf = '';
      ur.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i + 1);
          buf = buf.slice(i + 1);
          if (watchFault === 'no-bookmarks' && line.includes('"type":"BOOKMARK"')) continue;
          res.write(line);
          if (!line.includes('"type":"BOOKMARK"')) seen++;
          if (seen >= after && (watchFault === 'cut' || watchFault === 'error-410')) {
            if (watchFault === 'error-410')
              res.write(
                `${JSON.stringify({ type: 'ERROR', object: JSON.parse(status(410, 'Expired', 'too old resource version (chaos)')) })}\n`,
              );
            ur.destroy();
            res.end();
            return;
          }
        }
      });
      ur.on('end', () => res.end());
      ur.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const u = new URL(req.url ?? '/', 'http://proxy');
      proxy.requests.total++;
      const hit = proxy.rate > 0 && random() < proxy.rate;
      if (isWatch(u)) {
        proxy.requests.watches++;
        if (!hit) return forward(req, body, res);
        const f = pick(['cut', 'gone', 'error-410', 'no-bookmarks'] as const);
        count(f);
        if (f === 'gone') {
          res.writeHead(410, { 'Content-Type': 'application/json' });
          res.end(status(410, 'Expired', 'too old resource version (chaos)'));
          return;
        }
        return forward(req, body, res, f);
      }
      if (!hit) return forward(req, body, res);
      const write = req.method === 'PUT' || req.method === 'PATCH';
      const f = pick(
        write
          ? (['conflict', 'throttle', 'unavailable', 'reset', 'reset-after', 'latency'] as const)
          : (['throttle', 'unavailable', 'reset', 'reset-after', 'latency'] as const),
      );
      count(f);
      switch (f) {
        case 'conflict':
          res.writeHead(409, { 'Content-Type': 'application/json' });
          res.end(
            status(
              409,
              'Conflict',
              'the object has been modified; please apply your changes to the latest version and try again (chaos)',
            ),
          );
          return;
        case 'throttle':
          res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
          res.end(status(429, 'TooManyRequests', 'the server has received too many requests (chaos)'));
          return;
        case 'unavailable': {
          const code = pick([500, 503]);
          res.writeHead(code, { 'Content-Type': 'application/json' });
          res.end(status(code, code === 503 ? 'ServiceUnavailable' : 'InternalError', 'injected by the chaos proxy'));
          return;
        }
        case 'reset':
          req.socket.destroy();
          return;
        case 'reset-after': {
          // Done upstream, answer lost.
          const target = new URL(req.url ?? '/', upstreamNow.url);
          const up = request(
            target,
            { method: req.method, headers: { ...req.headers, host: target.host }, agent },
            (ur) => {
              ur.resume();
              ur.on('end', () => req.socket.destroy());
            },
          );
          up.on('error', () => req.socket.destroy());
          up.end(body);
          return;
        }
        case 'latency':
          setTimeout(() => forward(req, body, res), 50 + Math.floor(random() * 250));
          return;
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  (proxy as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
