// A Compute Engine v1 emulator over HTTP, written from the REST reference, for the calls capi-fn's GCP provider
// and the gcloud CLI make (peer-trials §4): projects, zones, regions, machine types, images (+ family),
// networks, subnetworks, instances (insert/get/list/aggregatedList/delete/stop/start/setLabels) and
// operations (get and `wait`) in zone, region and global scope. Requests carry any or no Authorization
// header; `requestId` makes a repeated mutation return the first operation; errors use Google's JSON shape.
//
//   gcloud config set api_endpoint_overrides/compute http://127.0.0.1:PORT/compute/v1/
//   gcloud config set auth/disable_credentials true
//
// Faults for tests and demos: `POST /emulator/v1/faults` with a Fault (state.ts) as JSON, or push to
// `emulator.state.faults` in process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { badRequest, GceHttpError, notFound } from './errors.ts';
import { parseFilter } from './filter.ts';
import { type Fault, type GceEmulatorOptions, GceState } from './state.ts';

type Json = Record<string, unknown>;

/** gcloud's `operations wait` returns after at most this long even when the operation is not DONE (as Google's does, 2 min). */
const WAIT_MAX_MS = 120_000;
const MAX_BODY = 1024 * 1024;

export interface GceEmulator {
  /** `http://127.0.0.1:PORT/compute/v1/`: the value for CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE. */
  endpoint: string;
  port: number;
  state: GceState;
  stop(): Promise<void>;
}

export async function startGceEmulator(
  o: GceEmulatorOptions & { port?: number; host?: string } = {},
): Promise<GceEmulator> {
  const state = new GceState(o);
  const waits = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    handle(state, waits, req, res).catch((e: unknown) => {
      send(res, 500, {
        error: {
          code: 500,
          message: `emulator error: ${(e as Error).message}`,
          errors: [{ domain: 'global', reason: 'backendError', message: 'emulator error' }],
        },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${o.host ?? '127.0.0.1'}:${port}/compute/v1/`,
    port,
    state,
    async stop() {
      for (const t of waits) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw badRequest('Request payload size exceeds the limit: 1048576 bytes.');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch {
    throw badRequest(`Invalid JSON payload received. ${text.slice(0, 40)}`);
  }
}

function listPage(kind: string, items: Json[], q: URLSearchParams, selfLink: string): Json {
  const filtered = applyFilter(items, q);
  const max = Math.min(Number(q.get('maxResults') ?? 500) || 500, 500);
  const start = Number(q.get('pageToken') ?? 0) || 0;
  const page = filtered.slice(start, start + max);
  return {
    kind,
    id: selfLink,
    items: page,
    selfLink,
    ...(start + max < filtered.length ? { nextPageToken: String(start + max) } : {}),
  };
}

function applyFilter(items: Json[], q: URLSearchParams): Json[] {
  let pred: (r: Json) => boolean;
  try {
    pred = parseFilter(q.get('filter') ?? undefined);
  } catch (e) {
    throw new GceHttpError(
      400,
      'invalid',
      `Invalid value for field 'filter': '${q.get('filter')}'. ${(e as Error).message}`,
    );
  }
  return items.filter(pred);
}

/** One API request (from the socket or from a batch part): status and JSON body. */
async function dispatch(
  state: GceState,
  waits: Set<NodeJS.Timeout>,
  method: string,
  url: URL,
  readJson: () => Promise<Json>,
  host: string,
  agent: string,
): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  const record = (status: number) =>
    state.requests.push({ method, path: url.pathname.replace(/^\/compute\/v1\//, ''), status, agent });
  const base = `http://${host}/compute/v1/`;
  try {
    if (!url.pathname.startsWith('/compute/v1/')) throw notFound(url.pathname);
    const path = url.pathname.slice('/compute/v1/'.length).replace(/\/$/, '');
    const fault = state.takeFault(method, path, 'http');
    if (fault?.http) {
      const h = fault.http;
      record(h.status);
      return {
        status: h.status,
        body: new GceHttpError(h.status, h.reason, h.message ?? `${h.reason} (injected)`).body(),
        ...(h.status === 429 ? { headers: { 'retry-after': '1' } } : {}),
      };
    }
    const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readJson() : {};
    const out = await route(state, waits, method, path, url.searchParams, body, base);
    record(200);
    return { status: 200, body: out };
  } catch (e) {
    if (e instanceof GceHttpError) {
      record(e.status);
      return { status: e.status, body: e.body() };
    }
    throw e;
  }
}

/**
 * `POST /batch/compute/v1`: multipart/mixed, each part an `application/http` request (gcloud batches deletes
 * of several instances this way); the answer is multipart/mixed with `Content-ID: <response-ID>` parts.
 */
async function batch(
  state: GceState,
  waits: Set<NodeJS.Timeout>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const boundary = /boundary="?([^";]+)"?/.exec(req.headers['content-type'] ?? '')?.[1];
  if (!boundary) return send(res, 400, badRequest('multipart/mixed with a boundary expected').body());
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const parts = text
    .split(`--${boundary}`)
    .slice(1)
    .filter((p) => !p.startsWith('--'));
  const out = `batch_${Math.random().toString(36).slice(2)}`;
  let answer = '';
  for (const part of parts) {
    const [outerHead = '', inner = ''] = splitOnce(part.replace(/^\r?\n/, ''), /\r?\n\r?\n/);
    const id = /content-id:\s*<([^>]*)>/i.exec(outerHead)?.[1] ?? '';
    const [innerHead = '', innerBody = ''] = splitOnce(inner, /\r?\n\r?\n/);
    const [requestLine = '', ...headerLines] = innerHead.split(/\r?\n/);
    const [method = 'GET', target = '/'] = requestLine.split(' ');
    const host =
      headerLines
        .find((h) => /^host:/i.test(h))
        ?.split(':')
        .slice(1)
        .join(':')
        .trim() ??
      req.headers.host ??
      '';
    const r = await dispatch(
      state,
      waits,
      method.toUpperCase(),
      new URL(target, 'http://emulator'),
      async () => {
        const b = innerBody.trim();
        return b ? (JSON.parse(b) as Json) : {};
      },
      host,
      req.headers['user-agent'] ?? '',
    );
    const json = JSON.stringify(r.body);
    answer += `--${out}\r\nContent-Type: application/http\r\nContent-ID: <response-${id}>\r\n\r\nHTTP/1.1 ${r.status} ${r.status === 200 ? 'OK' : 'Error'}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`;
  }
  answer += `--${out}--\r\n`;
  res.writeHead(200, {
    'content-type': `multipart/mixed; boundary=${out}`,
    'content-length': Buffer.byteLength(answer),
  });
  res.end(answer);
}

function splitOnce(s: string, sep: RegExp): [string, string] {
  const m = sep.exec(s);
  return m ? [s.slice(0, m.index), s.slice(m.index + m[0].length)] : [s, ''];
}

async function handle(
  state: GceState,
  waits: Set<NodeJS.Timeout>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = (req.method ?? 'GET').toUpperCase();
  if (url.pathname === '/emulator/v1/faults' && method === 'POST') {
    state.faults.push((await readBody(req)) as Fault);
    return send(res, 200, { faults: state.faults.length });
  }
  if (url.pathname === '/emulator/v1/faults' && method === 'DELETE') {
    state.faults.length = 0;
    return send(res, 200, { faults: 0 });
  }
  if (url.pathname === '/batch/compute/v1' && method === 'POST') return batch(state, waits, req, res);
  const r = await dispatch(
    state,
    waits,
    method,
    url,
    () => readBody(req),
    req.headers.host ?? '127.0.0.1',
    req.headers['user-agent'] ?? '',
  );
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  return send(res, r.status, r.body);
}

async function route(
  state: GceState,
  waits: Set<NodeJS.Timeout>,
  method: string,
  path: string,
  q: URLSearchParams,
  body: Json,
  base: string,
): Promise<Json> {
  const s = path.split('/').map(decodeURIComponent);
  const rid = q.get('requestId') ?? undefined;
  if (s[0] !== 'projects' || !s[1]) throw notFound(path);
  const project = s[1];
  const rest = s.slice(2);
  const [a, b, c, d, e, f] = rest;
  const opJson = (op: ReturnType<GceState['getOperation']>) => state.operationJson(op, base);
  const waitFor = async (op: ReturnType<GceState['getOperation']>) => {
    const ms = Math.min(state.untilDone(op), WAIT_MAX_MS);
    if (ms > 0) {
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          waits.delete(t);
          r();
        }, ms);
        waits.add(t);
      });
    }
    return opJson(op);
  };

  // GET projects/P
  if (rest.length === 0 && method === 'GET') {
    state.project(project);
    return {
      kind: 'compute#project',
      id: String(project.length * 7919),
      name: project,
      commonInstanceMetadata: { kind: 'compute#metadata', items: [], fingerprint: 'AAAAAAAAAAA=' },
      defaultServiceAccount: `${project}-compute@developer.gserviceaccount.com`,
      xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
      selfLink: `${base}projects/${project}`,
    };
  }

  // zones
  if (a === 'zones' && b === undefined && method === 'GET') {
    state.project(project);
    return listPage(
      'compute#zoneList',
      state.zones.map((z) => state.zoneJson(z, project, base)),
      q,
      `${base}projects/${project}/zones`,
    );
  }
  if (a === 'zones' && b && c === undefined && method === 'GET') {
    state.zone(project, b);
    return state.zoneJson(b, project, base);
  }
  if (a === 'zones' && b && c === 'machineTypes') {
    if (d === undefined && method === 'GET') {
      state.zone(project, b);
      const { MACHINE_TYPES } = await import('./catalog.ts');
      return listPage(
        'compute#machineTypeList',
        Object.keys(MACHINE_TYPES).map((n) => state.machineTypeJson(project, b, n, base)),
        q,
        `${base}projects/${project}/zones/${b}/machineTypes`,
      );
    }
    if (d && method === 'GET') return state.machineTypeJson(project, b, d, base);
  }
  if (a === 'zones' && b && c === 'operations' && d) {
    const op = state.getOperation(project, { kind: 'zone', name: b }, d);
    if (e === 'wait' && method === 'POST') return waitFor(op);
    if (e === undefined && method === 'GET') return opJson(op);
  }
  if (a === 'zones' && b && c === 'instances') {
    if (d === undefined && method === 'GET')
      return listPage(
        'compute#instanceList',
        state.listInstances(project, b, base),
        q,
        `${base}projects/${project}/zones/${b}/instances`,
      );
    if (d === undefined && method === 'POST') {
      const injected = state.takeFault('POST', path, 'operationError')?.operationError;
      return opJson(state.insertInstance(project, b, body, rid, injected));
    }
    if (d && e === undefined && method === 'GET') return state.getInstance(project, b, d, base);
    if (d && e === undefined && method === 'DELETE') return opJson(state.deleteInstance(project, b, d, rid));
    if (d && (e === 'stop' || e === 'start') && method === 'POST')
      return opJson(state.stopOrStart(project, b, d, e, rid));
    if (d && e === 'setLabels' && method === 'POST') return opJson(state.setLabels(project, b, d, body, rid));
  }

  // regions
  if (a === 'regions' && b === undefined && method === 'GET') {
    state.project(project);
    return listPage(
      'compute#regionList',
      state.regions.map((r) => state.regionJson(r, project, base)),
      q,
      `${base}projects/${project}/regions`,
    );
  }
  if (a === 'regions' && b && c === undefined && method === 'GET') {
    state.project(project);
    if (!state.regions.includes(b)) throw notFound(`projects/${project}/regions/${b}`);
    return state.regionJson(b, project, base);
  }
  if (a === 'regions' && b && c === 'operations' && d) {
    const op = state.getOperation(project, { kind: 'region', name: b }, d);
    if (e === 'wait' && method === 'POST') return waitFor(op);
    if (e === undefined && method === 'GET') return opJson(op);
  }
  if (a === 'regions' && b && c === 'subnetworks') {
    if (d === undefined && method === 'GET')
      return listPage(
        'compute#subnetworkList',
        state.listSubnetworks(project, b).map((x) => state.subnetworkJson(x, base)),
        q,
        `${base}projects/${project}/regions/${b}/subnetworks`,
      );
    if (d === undefined && method === 'POST') return opJson(state.insertSubnetwork(project, b, body, rid));
    if (d && method === 'GET') return state.subnetworkJson(state.getSubnetwork(project, b, d), base);
    if (d && method === 'DELETE') return opJson(state.deleteSubnetwork(project, b, d, rid));
  }

  // global
  if (a === 'global' && b === 'operations' && c) {
    const op = state.getOperation(project, { kind: 'global' }, c);
    if (d === 'wait' && method === 'POST') return waitFor(op);
    if (d === undefined && method === 'GET') return opJson(op);
  }
  if (a === 'global' && b === 'images') {
    if (c === undefined && method === 'GET')
      return listPage(
        'compute#imageList',
        state.listImages(project).map((i) => state.imageJson(project, i, base)),
        q,
        `${base}projects/${project}/global/images`,
      );
    if (c === undefined && method === 'POST') return opJson(state.insertImage(project, body, rid));
    if (c === 'family' && d && method === 'GET')
      return state.imageJson(project, state.imageFromFamily(project, d), base);
    if (c && d === undefined && method === 'GET') return state.imageJson(project, state.getImage(project, c), base);
    if (c && d === undefined && method === 'DELETE') return opJson(state.deleteImage(project, c, rid));
  }
  if (a === 'zones' && b && c === 'imageFamilyViews' && d && method === 'GET') {
    state.zone(project, b);
    return { image: state.imageJson(project, state.imageFromFamily(project, d), base) };
  }
  if (a === 'global' && b === 'networks') {
    if (c === undefined && method === 'GET')
      return listPage(
        'compute#networkList',
        state.listNetworks(project).map((n) => state.networkJson(n, base, project)),
        q,
        `${base}projects/${project}/global/networks`,
      );
    if (c === undefined && method === 'POST') return opJson(state.insertNetwork(project, body, rid));
    if (c && d === undefined && method === 'GET') return state.networkJson(state.getNetwork(project, c), base, project);
    if (c && d === undefined && method === 'DELETE') return opJson(state.deleteNetwork(project, c, rid));
  }

  // aggregated
  if (a === 'aggregated' && b === 'instances' && method === 'GET') {
    const all = applyFilter(state.listInstances(project, undefined, base), q);
    const items: Record<string, Json> = {};
    for (const z of state.zones) {
      const inZone = all.filter((i) => String(i.zone).endsWith(`/zones/${z}`));
      items[`zones/${z}`] = inZone.length
        ? { instances: inZone }
        : {
            warning: {
              code: 'NO_RESULTS_ON_PAGE',
              message: "There are no results for scope 'zones/" + z + "' on this page.",
              data: [{ key: 'scope', value: `zones/${z}` }],
            },
          };
    }
    return {
      kind: 'compute#instanceAggregatedList',
      id: `projects/${project}/aggregated/instances`,
      items,
      selfLink: `${base}projects/${project}/aggregated/instances`,
    };
  }
  if (a === 'aggregated' && b === 'subnetworks' && method === 'GET') {
    const all = applyFilter(
      state.listSubnetworks(project).map((x) => state.subnetworkJson(x, base)),
      q,
    );
    const items: Record<string, Json> = {};
    for (const r of state.regions) {
      const inRegion = all.filter((x) => String(x.region).endsWith(`/regions/${r}`));
      items[`regions/${r}`] = inRegion.length
        ? { subnetworks: inRegion }
        : {
            warning: {
              code: 'NO_RESULTS_ON_PAGE',
              message: `There are no results for scope 'regions/${r}' on this page.`,
              data: [{ key: 'scope', value: `regions/${r}` }],
            },
          };
    }
    return {
      kind: 'compute#subnetworkAggregatedList',
      id: `projects/${project}/aggregated/subnetworks`,
      items,
      selfLink: `${base}projects/${project}/aggregated/subnetworks`,
    };
  }
  void f;
  throw notFound(path);
}
