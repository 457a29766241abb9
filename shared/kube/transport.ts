// HTTP(S) to a Kubernetes API server with node:https: no client library, so a function's cold start
// pays only for what it uses. The one place that knows about sockets, TLS and credentials.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { Connection, Credentials } from './kubeconfig.ts';

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path plus query, e.g. `/api/v1/namespaces/x/pods?limit=500`. */
  path: string;
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Socket-level timeout for non-streaming requests. */
  timeoutMs?: number;
}

export interface KubeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface KubeStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** One JSON document per line (watch events). Ends when the server closes the stream. */
  lines: AsyncIterable<string>;
  close(): void;
  /** The body when `status` is not 200 (the stream is not usable then). */
  errorBody?: string;
}

/** The port every Kubernetes client call goes through; tests wrap it to count calls or inject crashes. */
export interface Transport {
  request(req: KubeRequest): Promise<KubeResponse>;
  stream(req: KubeRequest): Promise<KubeStream>;
  readonly server: string;
  readonly namespace: string;
}

/** A network-level failure: the request may or may not have reached the server. */
export class TransportError extends Error {
  readonly errno: string | undefined;
  /** True when the connection was never established, so the request certainly did not happen. */
  readonly notSent: boolean;
  constructor(message: string, errno: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'TransportError';
    this.errno = errno;
    this.notSent = errno === 'ECONNREFUSED' || errno === 'ENOTFOUND' || errno === 'EAI_AGAIN';
  }
}

export class HttpsTransport implements Transport {
  readonly server: string;
  readonly namespace: string;
  private readonly conn: Connection;
  private readonly url: URL;
  private agent: http.Agent | undefined;
  private agentCreds: Credentials | undefined;

  constructor(conn: Connection) {
    this.conn = conn;
    this.server = conn.server;
    this.namespace = conn.namespace;
    this.url = new URL(conn.server);
  }

  private agentFor(creds: Credentials): http.Agent {
    // Client certificates live on the agent, so a rotated certificate needs a new one.
    if (this.agent && this.agentCreds?.cert === creds.cert && this.agentCreds?.key === creds.key) return this.agent;
    this.agent?.destroy();
    const tls = this.url.protocol === 'https:';
    this.agent = tls
      ? new https.Agent({
          keepAlive: true,
          maxSockets: 64,
          ...(this.conn.ca ? { ca: this.conn.ca } : {}),
          ...(creds.cert ? { cert: creds.cert } : {}),
          ...(creds.key ? { key: creds.key } : {}),
          rejectUnauthorized: !this.conn.insecureSkipTLSVerify,
          ...(this.conn.tlsServerName ? { servername: this.conn.tlsServerName } : {}),
        })
      : new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.agentCreds = creds;
    return this.agent;
  }

  private async open(req: KubeRequest, refresh: boolean): Promise<http.IncomingMessage> {
    const creds = await this.conn.credentials(refresh);
    const agent = this.agentFor(creds);
    const headers: Record<string, string> = {
      accept: req.accept ?? 'application/json',
      'user-agent': 'capi-fn/0.1',
      ...creds.headers,
    };
    if (req.body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const mod = this.url.protocol === 'https:' ? https : http;
    const basePath = this.url.pathname.replace(/\/+$/, '');
    return new Promise((resolve, reject) => {
      const r = mod.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || (this.url.protocol === 'https:' ? 443 : 80),
          method: req.method,
          path: basePath + req.path,
          headers,
          agent,
          ...(req.signal ? { signal: req.signal } : {}),
          ...(req.timeoutMs ? { timeout: req.timeoutMs } : {}),
        },
        resolve,
      );
      r.on('timeout', () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', (e: NodeJS.ErrnoException) =>
        reject(new TransportError(`${req.method} ${this.conn.server}${req.path}: ${e.message}`, e.code, e)),
      );
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }

  private async openWithAuthRetry(req: KubeRequest): Promise<http.IncomingMessage> {
    let res = await this.open(req, false);
    if (res.statusCode === 401) {
      // Exec plugins and projected tokens rotate: one retry with fresh credentials.
      res.resume();
      res = await this.open(req, true);
    }
    return res;
  }

  async request(req: KubeRequest): Promise<KubeResponse> {
    const res = await this.openWithAuthRetry(req);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new TransportError(`${req.method} ${this.conn.server}${req.path}: ${err.message}`, err.code, e);
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
  }

  async stream(req: KubeRequest): Promise<KubeStream> {
    const res = await this.openWithAuthRetry(req);
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return {
        status,
        headers: res.headers,
        lines: (async function* () {})(),
        close() {},
        errorBody: Buffer.concat(chunks).toString('utf8'),
      };
    }
    const rl = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
    return {
      status,
      headers: res.headers,
      lines: (async function* () {
        try {
          for await (const line of rl) if (line.trim()) yield line;
        } catch (e) {
          // A reset connection ends the watch like a server close: the caller re-watches from its last RV.
          if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' && (e as Error).name !== 'AbortError') throw e;
        }
      })(),
      close: () => {
        rl.close();
        res.destroy();
      },
    };
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
