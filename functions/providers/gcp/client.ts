// A thin typed client for the Compute Engine v1 REST API: the calls the GCP provider makes, with retries
// on 429/5xx and OAuth tokens from google-auth-library (Application Default Credentials, or a service-account
// key). Chosen by measurement over @google-cloud/compute (74.8 MB bundled, and it cannot run bundled) and
// @googleapis/compute (5.2 MB, 280 ms to import): this and google-auth-library bundle to 0.7 MB, 155 ms
// (bench/cold-start.ts). `CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE` — what gcloud users set — points it
// elsewhere (the emulator); a plain-http endpoint there is used without credentials, as gcloud does with
// `auth/disable_credentials`.

export const DEFAULT_COMPUTE_ENDPOINT = 'https://compute.googleapis.com/compute/v1/';

/** Google's JSON error body, with the HTTP status, as an Error. */
export class GoogleApiError extends Error {
  readonly status: number;
  /** `errors[0].reason` (`notFound`, `alreadyExists`, `quotaExceeded`, `rateLimitExceeded` …). */
  readonly reason: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, reason: string | undefined, retryAfterMs?: number) {
    super(message);
    this.name = 'GoogleApiError';
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A failed zone operation (an insert that quota or capacity refused after it was accepted). */
export class OperationError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  constructor(code: string, message: string, status: number | undefined) {
    super(message);
    this.name = 'OperationError';
    this.code = code;
    this.status = status;
  }
}

export interface GceOperation {
  name: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  operationType?: string;
  targetLink?: string;
  error?: { errors?: Array<{ code?: string; message?: string }> };
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
}

export interface GceAccessConfig {
  type?: string;
  name?: string;
  natIP?: string;
}

export interface GceNetworkInterface {
  name?: string;
  network?: string;
  subnetwork?: string;
  networkIP?: string;
  accessConfigs?: GceAccessConfig[];
}

export interface GceInstance {
  id?: string;
  name: string;
  zone?: string;
  machineType?: string;
  status?: string;
  statusMessage?: string;
  selfLink?: string;
  creationTimestamp?: string;
  networkInterfaces?: GceNetworkInterface[];
  disks?: Array<Record<string, unknown>>;
  metadata?: { fingerprint?: string; items?: Array<{ key: string; value?: string }> };
  labels?: Record<string, string>;
  tags?: { items?: string[] };
  serviceAccounts?: Array<{ email?: string; scopes?: string[] }>;
  scheduling?: Record<string, unknown>;
  canIpForward?: boolean;
  shieldedInstanceConfig?: Record<string, unknown>;
  confidentialInstanceConfig?: Record<string, unknown>;
  guestAccelerators?: Array<{ acceleratorType?: string; acceleratorCount?: number }>;
  params?: { resourceManagerTags?: Record<string, string> };
}

export interface GceImage {
  name: string;
  selfLink?: string;
  status?: string;
  diskSizeGb?: string;
  family?: string;
}

export interface GceSubnetwork {
  name: string;
  selfLink?: string;
  network?: string;
  region?: string;
}

export interface GceMachineType {
  name: string;
  selfLink?: string;
  guestCpus?: number;
  memoryMb?: number;
}

export interface GceZone {
  name: string;
  region?: string;
  status?: string;
}

/** The calls the provider makes, in Compute Engine's words; tests wrap it to count calls or inject crashes. */
export interface GceApi {
  getInstance(project: string, zone: string, name: string): Promise<GceInstance>;
  insertInstance(project: string, zone: string, body: GceInstance, requestId: string): Promise<GceOperation>;
  deleteInstance(project: string, zone: string, name: string, requestId: string): Promise<GceOperation>;
  /** Every instance of the project matching a filter (`labels.k=v`), across zones (aggregatedList). */
  listInstances(project: string, filter?: string): Promise<GceInstance[]>;
  getZoneOperation(project: string, zone: string, name: string): Promise<GceOperation>;
  /** An image by name in a project, or the newest of a family (`family/<f>`). */
  getImage(project: string, image: string): Promise<GceImage>;
  getMachineType(project: string, zone: string, name: string): Promise<GceMachineType>;
  getSubnetwork(project: string, region: string, name: string): Promise<GceSubnetwork>;
  listZones(project: string): Promise<GceZone[]>;
}

export interface GceRestOptions {
  endpoint?: string;
  /** A service-account key (JSON); absent: Application Default Credentials. */
  credentials?: Record<string, unknown>;
  /** Attempts for a 429 or 5xx, with backoff. */
  maxAttempts?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

interface TokenSource {
  headers(): Promise<Record<string, string>>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The compute endpoint: the gcloud override variable, else Google's. */
export function computeEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const e = env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE || DEFAULT_COMPUTE_ENDPOINT;
  return e.endsWith('/') ? e : `${e}/`;
}

export class GceRest implements GceApi {
  readonly endpoint: string;
  private readonly o: GceRestOptions;
  private tokens: Promise<TokenSource> | undefined;

  constructor(o: GceRestOptions = {}) {
    this.o = o;
    this.endpoint = o.endpoint ?? computeEndpoint();
  }

  private auth(): Promise<TokenSource> {
    // A local plain-http endpoint (the emulator) is used without credentials, as gcloud does.
    if (this.endpoint.startsWith('http://')) return Promise.resolve({ headers: async () => ({}) });
    this.tokens ??= import('google-auth-library').then(({ GoogleAuth }) => {
      const auth = new GoogleAuth({
        scopes: ['https://www.googleapis.com/auth/compute'],
        ...(this.o.credentials ? { credentials: this.o.credentials } : {}),
      });
      return {
        headers: async () => {
          const client = await auth.getClient();
          const h = await client.getRequestHeaders();
          return Object.fromEntries(h instanceof Headers ? h.entries() : Object.entries(h as Record<string, string>));
        },
      };
    });
    return this.tokens;
  }

  private async call<T>(method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<T> {
    const url = new URL(path, this.endpoint);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const maxAttempts = this.o.maxAttempts ?? 4;
    const doFetch = this.o.fetch ?? fetch;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...(await (await this.auth()).headers()), accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await doFetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.ok) return (text ? JSON.parse(text) : {}) as T;
      const err = parseError(res.status, text, res.headers.get('retry-after'));
      // Throttling and server errors are retried here (the call is idempotent: GETs, and mutations carry a requestId).
      if ((res.status === 429 || res.status >= 500) && attempt < maxAttempts) {
        await (this.o.sleep ?? defaultSleep)(err.retryAfterMs ?? Math.min(8_000, 250 * 2 ** (attempt - 1)));
        continue;
      }
      throw err;
    }
  }

  getInstance(project: string, zone: string, name: string): Promise<GceInstance> {
    return this.call('GET', `projects/${project}/zones/${zone}/instances/${name}`);
  }

  insertInstance(project: string, zone: string, body: GceInstance, requestId: string): Promise<GceOperation> {
    return this.call('POST', `projects/${project}/zones/${zone}/instances`, body, { requestId });
  }

  deleteInstance(project: string, zone: string, name: string, requestId: string): Promise<GceOperation> {
    return this.call('DELETE', `projects/${project}/zones/${zone}/instances/${name}`, undefined, { requestId });
  }

  async listInstances(project: string, filter?: string): Promise<GceInstance[]> {
    const out: GceInstance[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{ items?: Record<string, { instances?: GceInstance[] }>; nextPageToken?: string }>(
        'GET',
        `projects/${project}/aggregated/instances`,
        undefined,
        { ...(filter ? { filter } : {}), ...(pageToken ? { pageToken } : {}) },
      );
      for (const scope of Object.values(page.items ?? {})) out.push(...(scope.instances ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  getZoneOperation(project: string, zone: string, name: string): Promise<GceOperation> {
    return this.call('GET', `projects/${project}/zones/${zone}/operations/${name}`);
  }

  getImage(project: string, image: string): Promise<GceImage> {
    const family = /^family\/(.+)$/.exec(image);
    return family
      ? this.call('GET', `projects/${project}/global/images/family/${family[1]}`)
      : this.call('GET', `projects/${project}/global/images/${image}`);
  }

  getMachineType(project: string, zone: string, name: string): Promise<GceMachineType> {
    return this.call('GET', `projects/${project}/zones/${zone}/machineTypes/${name}`);
  }

  getSubnetwork(project: string, region: string, name: string): Promise<GceSubnetwork> {
    return this.call('GET', `projects/${project}/regions/${region}/subnetworks/${name}`);
  }

  async listZones(project: string): Promise<GceZone[]> {
    return (await this.call<{ items?: GceZone[] }>('GET', `projects/${project}/zones`)).items ?? [];
  }
}

export function parseError(status: number, text: string, retryAfter: string | null): GoogleApiError {
  let message = `HTTP ${status}`;
  let reason: string | undefined;
  try {
    const body = JSON.parse(text) as {
      error?: { message?: string; errors?: Array<{ reason?: string }>; status?: string };
    };
    message = body.error?.message ?? message;
    reason = body.error?.errors?.[0]?.reason ?? body.error?.status;
  } catch {
    if (text) message = text.slice(0, 300);
  }
  const secs = retryAfter ? Number(retryAfter) : Number.NaN;
  return new GoogleApiError(status, message, reason, Number.isFinite(secs) ? secs * 1000 : undefined);
}
