// A thin typed REST client for OpenStack (Keystone v3, Nova, Neutron, Glance, Cinder): no maintained JavaScript
// OpenStack SDK exists (pkgcloud is callback-era and knows neither application credentials nor Nova microversions;
// openstack-wrapper is a thin callback wrapper), so this speaks the documented APIs directly (reference §1.1).
// Requests go through node:http(s) rather than the global fetch: a cloud's `cacert` and `verify: false` need a
// TLS agent of their own, which fetch only takes from the undici package.
//
// One transport serves every cloud: a token per cloud (reused until shortly before `expires_at`, so a warm
// function authenticates once), the token's catalog picks each service's endpoint (interface and region as the
// cloud says), a 401 re-authenticates once and repeats the call, and Nova calls carry the pinned microversion.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type CloudConfig, CloudConfigError, cloudKey, incompleteAuth, tokenRequest } from './clouds.ts';

/**
 * The Nova microversion every compute call carries. 2.53: server tags in the create body (2.52), the flavor
 * embedded in the server (2.47, so the instance type needs no flavor lookup), `tags` filters on the list (2.26);
 * CAPO sends 2.53 as soon as tags are used. Zed serves up to 2.93.
 */
export const NOVA_MICROVERSION = '2.53';

export type ServiceType = 'identity' | 'compute' | 'network' | 'image' | 'block-storage';

const ALIASES: Record<ServiceType, string[]> = {
  identity: ['identity'],
  compute: ['compute'],
  network: ['network'],
  image: ['image'],
  'block-storage': ['block-storage', 'block-store', 'volumev3', 'volume', 'volumev2'],
};

export interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: Array<{ interface: string; region?: string | null; region_id?: string | null; url: string }>;
}

export interface Session {
  token: string;
  expiresAt: number;
  projectId: string;
  projectName?: string | undefined;
  userId?: string | undefined;
  catalog: CatalogEntry[];
}

export interface OpenStackCall {
  service: ServiceType;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Relative to the service's versioned root (`/servers/detail`, `/ports`, `/images`, `/volumes`). */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface OpenStackResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

/** What every call goes through: tests wrap it to count calls and inject crashes. */
export interface OpenStackTransport {
  request<T>(cloud: CloudConfig, call: OpenStackCall): Promise<OpenStackResponse<T>>;
  /** The session (authenticating when there is none or it is about to expire). */
  session(cloud: CloudConfig): Promise<Session>;
}

/** An answer ≥ 400 from a service, with what OpenStack said. */
export class OpenStackApiError extends Error {
  readonly status: number;
  readonly service: ServiceType;
  /** Neutron's exception type (`PortNotFound`, `OverQuota`) or Nova's fault key (`itemNotFound`, `overLimit`). */
  readonly type: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly call: string;
  constructor(
    status: number,
    service: ServiceType,
    message: string,
    type: string | undefined,
    retryAfterMs: number | undefined,
    call: string,
  ) {
    super(message);
    this.name = 'OpenStackApiError';
    this.status = status;
    this.service = service;
    this.type = type;
    this.retryAfterMs = retryAfterMs;
    this.call = call;
  }
}

export interface RestOptions {
  /** Attempts for idempotent calls (GET, PUT, DELETE) on 5xx, 429/413 with a short Retry-After, or a lost connection. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  timeoutMs?: number;
  userAgent?: string;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A token is renewed this long before it expires (a call must not start with a token about to lapse). */
const EXPIRY_MARGIN_MS = 120_000;
/** Retry-After values up to this are waited out in the client; longer ones go back to the reconcile's requeue. */
const MAX_INLINE_WAIT_MS = 2_000;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The versioned root of a catalog URL: Nova's already ends in /v2.1, Neutron's and Glance's get /v2.0 and /v2. */
export function versionedRoot(service: ServiceType, url: string, projectId: string): string {
  const u = url
    .replace(/\/+$/, '')
    .replace(/\$\(project_id\)s|%\(project_id\)s|\$\(tenant_id\)s|%\(tenant_id\)s/g, projectId);
  switch (service) {
    case 'compute':
      return /\/v2(\.1)?$/.test(u) ? u : `${u}/v2.1`;
    case 'network':
      return /\/v2\.0$/.test(u) ? u : `${u}/v2.0`;
    case 'image':
      return /\/v2$/.test(u) ? u : `${u}/v2`;
    case 'block-storage':
      return /\/v3\/[^/]+$/.test(u) ? u : /\/v3$/.test(u) ? `${u}/${projectId}` : `${u}/v3/${projectId}`;
    default:
      return /\/v3$/.test(u) ? u : `${u}/v3`;
  }
}

/** The endpoint for a service from a catalog (reference §1.1: type or alias, then interface, then region). */
export function endpointFor(
  catalog: CatalogEntry[],
  service: ServiceType,
  cloud: Pick<CloudConfig, 'interface' | 'region'>,
): string | undefined {
  for (const type of ALIASES[service]) {
    const entry = catalog.find((e) => e.type === type);
    if (!entry) continue;
    const ep = entry.endpoints.find(
      (e) =>
        (e.interface === cloud.interface || e.interface === `${cloud.interface}URL`) &&
        (!cloud.region || e.region === cloud.region || e.region_id === cloud.region),
    );
    if (ep) return ep.url;
  }
  return undefined;
}

export function parseError(service: ServiceType, call: string, r: RawResponse): OpenStackApiError {
  let message = r.text.slice(0, 300) || `HTTP ${r.status}`;
  let type: string | undefined;
  let retryAfter = r.headers['retry-after'];
  try {
    const body = JSON.parse(r.text) as Record<string, unknown>;
    const neutron = body.NeutronError as { type?: string; message?: string } | undefined;
    const err = body.error as { message?: string; title?: string } | undefined;
    if (neutron) {
      message = neutron.message ?? message;
      type = neutron.type;
    } else if (err && typeof err === 'object') {
      message = err.message ?? message;
      type = err.title;
    } else {
      const [key, val] = Object.entries(body)[0] ?? [];
      if (key && val && typeof val === 'object') {
        const v = val as { message?: string; retryAfter?: string };
        message = v.message ?? message;
        type = key;
        retryAfter ??= v.retryAfter;
      }
    }
  } catch {
    // Not JSON: the text is the message.
  }
  const secs = retryAfter !== undefined ? Number(retryAfter) : Number.NaN;
  return new OpenStackApiError(
    r.status,
    service,
    message.trim(),
    type,
    Number.isFinite(secs) ? secs * 1000 : undefined,
    call,
  );
}

export class OpenStackRest implements OpenStackTransport {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly agents = new Map<string, HttpAgent | HttpsAgent>();
  private readonly o: Required<RestOptions>;

  constructor(o: RestOptions = {}) {
    this.o = {
      maxAttempts: o.maxAttempts ?? 3,
      sleep: o.sleep ?? defaultSleep,
      now: o.now ?? Date.now,
      timeoutMs: o.timeoutMs ?? 30_000,
      userAgent: o.userAgent ?? 'capi-fn-openstack',
    };
  }

  private agent(url: URL, cloud: CloudConfig): HttpAgent | HttpsAgent {
    const https = url.protocol === 'https:';
    const key = `${https}:${cloud.verify}:${cloud.caCert ?? ''}`;
    let a = this.agents.get(key);
    if (!a) {
      a = https
        ? new HttpsAgent({
            keepAlive: true,
            rejectUnauthorized: cloud.verify,
            ...(cloud.caCert ? { ca: cloud.caCert } : {}),
          })
        : new HttpAgent({ keepAlive: true });
      this.agents.set(key, a);
    }
    return a;
  }

  private raw(
    cloud: CloudConfig,
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<RawResponse> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          agent: this.agent(url, cloud),
          headers: {
            accept: 'application/json',
            'user-agent': this.o.userAgent,
            ...(body !== undefined
              ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
              : {}),
            ...headers,
          },
          timeout: this.o.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: flatHeaders(res.headers),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error(`${method} ${url.host}${url.pathname} timed out`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private async authenticate(cloud: CloudConfig): Promise<Session> {
    const missing = incompleteAuth(cloud);
    if (missing) throw new CloudConfigError(missing);
    const base = cloud.authUrl.replace(/\/+$/, '');
    // An auth_url without a version is the unversioned root: Keystone v3 lives under /v3 (reference §1.1).
    const url = new URL(`${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`);
    const r = await this.raw(cloud, 'POST', url, {}, JSON.stringify(tokenRequest(cloud)));
    if (r.status !== 201 && r.status !== 200) throw parseError('identity', 'POST /auth/tokens', r);
    const token = r.headers['x-subject-token'];
    const body = JSON.parse(r.text) as {
      token: {
        expires_at: string;
        project?: { id: string; name?: string };
        user?: { id?: string };
        catalog?: CatalogEntry[];
      };
    };
    if (!token || !body.token.project?.id)
      throw new OpenStackApiError(
        401,
        'identity',
        'Keystone returned no project-scoped token (set auth.project_name or project_id)',
        undefined,
        undefined,
        'POST /auth/tokens',
      );
    return {
      token,
      expiresAt: Date.parse(body.token.expires_at),
      projectId: body.token.project.id,
      projectName: body.token.project.name,
      userId: body.token.user?.id,
      catalog: body.token.catalog ?? [],
    };
  }

  async session(cloud: CloudConfig): Promise<Session> {
    const key = cloudKey(cloud);
    const cached = this.sessions.get(key);
    if (cached) {
      try {
        const s = await cached;
        if (s.expiresAt - EXPIRY_MARGIN_MS > this.o.now()) return s;
      } catch {
        // A failed authentication is not cached: try again.
      }
    }
    const fresh = this.authenticate(cloud);
    this.sessions.set(key, fresh);
    fresh.catch(() => {
      if (this.sessions.get(key) === fresh) this.sessions.delete(key);
    });
    return fresh;
  }

  private forget(cloud: CloudConfig): void {
    this.sessions.delete(cloudKey(cloud));
  }

  async request<T>(cloud: CloudConfig, call: OpenStackCall): Promise<OpenStackResponse<T>> {
    const idempotent = call.method !== 'POST' && call.method !== 'PATCH';
    let reauthed = false;
    for (let attempt = 1; ; attempt++) {
      const s = await this.session(cloud);
      const ep = endpointFor(s.catalog, call.service, cloud);
      if (!ep) {
        throw new OpenStackApiError(
          404,
          call.service,
          `the service catalog has no ${call.service} endpoint for interface ${cloud.interface}${cloud.region ? ` in region ${cloud.region}` : ''}`,
          'EndpointNotFound',
          undefined,
          `${call.method} ${call.path}`,
        );
      }
      const url = new URL(`${versionedRoot(call.service, ep, s.projectId)}${call.path}`);
      for (const [k, v] of Object.entries(call.query ?? {})) {
        if (v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [v]) url.searchParams.append(k, x);
      }
      const headers: Record<string, string> = { 'x-auth-token': s.token };
      if (call.service === 'compute') {
        headers['openstack-api-version'] = `compute ${NOVA_MICROVERSION}`;
        headers['x-openstack-nova-api-version'] = NOVA_MICROVERSION;
      }
      const what = `${call.method} ${call.path}`;
      let r: RawResponse;
      try {
        r = await this.raw(
          cloud,
          call.method,
          url,
          headers,
          call.body !== undefined ? JSON.stringify(call.body) : undefined,
        );
      } catch (e) {
        if (idempotent && attempt < this.o.maxAttempts) {
          await this.o.sleep(250 * 2 ** (attempt - 1));
          continue;
        }
        throw e;
      }
      if (r.status === 401 && !reauthed) {
        // The token was revoked or expired early: authenticate again, once, and repeat (gophercloud's reauth).
        reauthed = true;
        this.forget(cloud);
        attempt--;
        continue;
      }
      if (r.status < 400) {
        return { status: r.status, headers: r.headers, body: (r.text ? JSON.parse(r.text) : {}) as T };
      }
      const err = parseError(call.service, what, r);
      const retryable = r.status === 429 || r.status === 413 || (r.status >= 500 && r.status !== 501);
      const wait = err.retryAfterMs ?? 250 * 2 ** (attempt - 1);
      if (
        idempotent &&
        retryable &&
        attempt < this.o.maxAttempts &&
        wait <= MAX_INLINE_WAIT_MS &&
        (r.status !== 413 || err.retryAfterMs !== undefined)
      ) {
        await this.o.sleep(wait);
        continue;
      }
      throw err;
    }
  }
}
