// What one client may make the server hold: connections, time to send a request, requests and watches in flight.
// The server listens on 127.0.0.1 without credentials for its health paths, so any local process is a client
// (audit 9); every bound here is one that process could otherwise raise until the server fails everyone.
import type { Server } from 'node:https';
import { tooManyRequests } from './status-errors.ts';

export interface ServerLimits {
  /** open connections the server accepts; later ones are dropped on accept */
  maxConnections: number;
  /** a connection with no traffic for this long is closed (watches opt out: they may be quiet for hours) */
  idleTimeoutMs: number;
  /** the TLS handshake must finish within this */
  handshakeTimeoutMs: number;
  /** the request line and headers must arrive within this */
  headersTimeoutMs: number;
  /** the whole request, body included, must arrive within this */
  requestTimeoutMs: number;
  /** requests other than watches one client may have in flight; beyond it 429 */
  maxInFlightPerClient: number;
  /** open watches one client may hold; beyond it 429 */
  maxWatchesPerClient: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  // Below the common 1,024 open-files soft limit, leaving descriptors for the store, the log and webhook calls:
  // the audit's 999 idle connections exhausted descriptors and the next legitimate client got ECONNRESET.
  maxConnections: 512,
  // The audit's suggestion; longer than anything the server waits for while serving (webhooks get at most 30 s).
  idleTimeoutMs: 60_000,
  // A local handshake takes milliseconds; Node's default of 120 s let a silent TCP connection hold a descriptor.
  handshakeTimeoutMs: 10_000,
  // Clients send their headers in one write; only a slowloris needs longer.
  headersTimeoutMs: 10_000,
  // A 3 MiB body (MAX_BODY_BYTES) over loopback takes milliseconds; Node's default of 300 s let a trickled body
  // hold its request for five minutes.
  requestTimeoutMs: 60_000,
  // kube-apiserver's --max-requests-inflight default; client-go retries a 429 after its Retry-After.
  maxInFlightPerClient: 400,
  // The bridge holds one watch per kind (about 15) and kubectl one per `get -w`; each stalled watch may queue
  // up to watchBufferBytes, so this also bounds what one client's stalled watches can cost.
  maxWatchesPerClient: 100,
};

/** Apply the connection-level limits to the HTTPS server. */
export function applyConnectionLimits(server: Server, l: ServerLimits): void {
  server.maxConnections = l.maxConnections;
  server.timeout = l.idleTimeoutMs;
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
}

/**
 * Node checks the headers and request timeouts on an interval (30 s by default), so a timeout shorter than the
 * interval would not be enforced on time; check four times per timeout.
 */
export function connectionsCheckingIntervalMs(l: ServerLimits): number {
  return Math.min(30_000, Math.max(50, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4)));
}

/**
 * Counts what each client has in flight. A client is its remote address: every local process shares
 * 127.0.0.1 and the one admin token, so this bounds what one machine can make the server hold rather than
 * sharing fairly between local processes.
 */
export class ClientSlots {
  private readonly used = new Map<string, number>();
  private readonly max: number;
  private readonly what: string;

  constructor(max: number, what: string) {
    this.max = max;
    this.what = what;
  }

  /** Take a slot, or throw 429; the returned function gives it back (once). */
  acquire(client: string): () => void {
    const n = this.used.get(client) ?? 0;
    if (n >= this.max) {
      throw tooManyRequests(`too many ${this.what} from this client (limit ${this.max}), please try again later`, {
        retryAfterSeconds: 1,
      });
    }
    this.used.set(client, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.used.get(client) ?? 1) - 1;
      if (left > 0) this.used.set(client, left);
      else this.used.delete(client);
    };
  }

  inUse(client: string): number {
    return this.used.get(client) ?? 0;
  }
}
