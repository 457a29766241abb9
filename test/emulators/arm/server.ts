// An Azure Resource Manager emulator over HTTPS, written from the REST reference, for the calls capi-fn's Azure
// provider (through the official @azure/arm-compute, @azure/arm-network and @azure/identity) and the Azure CLI
// make (peer-trials §5). HTTPS because both refuse bearer tokens over plain http; the CA certificate it
// generates is `caPem` (write it where REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS point).
//
// Identity: an AAD v2 token endpoint for client-secret credentials (`POST /{tenant}/oauth2/v2.0/token`, reached
// through AZURE_AUTHORITY_HOST with instance discovery disabled), an ADFS-style one for the CLI
// (`/adfs/oauth2/token`; MSAL does no instance discovery for ADFS), OpenID configuration on any prefix, and
// `GET /metadata/endpoints` (Azure Stack style) for `az cloud register`. ARM calls need a bearer token it issued.
//
// Faults for tests and demos: `POST /emulator/faults` with an ArmFault (state.ts) as JSON, or push to
// `emulator.state.faults` in process.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCa, issueServerCert } from '../../../local/apiserver/tls.ts';
import { ArmHttpError } from './errors.ts';
import { type ArmEmulatorOptions, type ArmFault, type ArmResponse, ArmState, type Json } from './state.ts';

const MAX_BODY = 4 * 1024 * 1024;

export interface ArmEmulator {
  /** `https://127.0.0.1:PORT/`: AZURE_RESOURCE_MANAGER_ENDPOINT. */
  endpoint: string;
  /** The AAD authority host (AZURE_AUTHORITY_HOST): the same origin. */
  authorityHost: string;
  /** The CA that signed the serving certificate (PEM). */
  caPem: string;
  port: number;
  state: ArmState;
  /** A service principal the token endpoint accepts. */
  clientId: string;
  clientSecret: string;
  tenantId: string;
  subscriptionId: string;
  stop(): Promise<void>;
}

export const EMULATOR_CLIENT_ID = '00000000-0000-4000-8000-00000000c11d';
export const EMULATOR_CLIENT_SECRET = 'emulated-client-secret';
/** The audience the CLI's registered cloud asks tokens for (any value works; the SDK asks for the endpoint's). */
export const CLI_RESOURCE = 'https://management.capi-fn.local/';

/**
 * Answers an authenticated ARM request the emulator has no route for (a test's own resource types), or undefined to
 * leave it to the emulator.
 */
export type ArmRoute = (method: string, url: URL) => ArmResponse | undefined;

export async function startArmEmulator(
  o: ArmEmulatorOptions & { port?: number; host?: string; routes?: ArmRoute } = {},
): Promise<ArmEmulator> {
  const clients = o.clients ?? { [EMULATOR_CLIENT_ID]: EMULATOR_CLIENT_SECRET };
  const state = new ArmState({ ...o, clients });
  const host = o.host ?? '127.0.0.1';
  const ca = await createCa('capi-fn-arm-emulator-ca');
  const cert = await issueServerCert(ca, [host, '127.0.0.1', 'localhost'], 'capi-fn-arm-emulator');
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    handle(state, req, res, o.routes).catch((e: unknown) => {
      send(res, {
        status: 500,
        body: { error: { code: 'InternalServerError', message: `emulator error: ${(e as Error).message}` } },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const [clientId, clientSecret] = Object.entries(clients)[0]!;
  return {
    endpoint: `https://${host}:${port}/`,
    authorityHost: `https://${host}:${port}/`,
    caPem: ca.certPem,
    port,
    state,
    clientId,
    clientSecret,
    tenantId: state.tenantId,
    subscriptionId: state.subscriptionId,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(res: ServerResponse, r: ArmResponse): void {
  const text = r.body === undefined ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    'x-ms-request-id': randomUUID(),
    'x-ms-ratelimit-remaining-subscription-reads': '11999',
    ...(r.headers ?? {}),
  });
  res.end(text);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new ArmHttpError(413, 'RequestEntityTooLarge', 'The request content was too large.');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const text = await readText(req);
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch {
    throw new ArmHttpError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${text.slice(0, 40)}'.`,
    );
  }
}

/** An unsigned JWT (`alg: none`), as the CLI and MSAL accept from an ADFS authority they cannot verify offline. */
function token(state: ArmState, clientId: string, audience: string, issuer: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(state.now() / 1000);
  const t = `${b64({ typ: 'JWT', alg: 'none' })}.${b64({
    aud: audience,
    iss: issuer,
    iat: now,
    nbf: now,
    exp: now + 3600,
    appid: clientId,
    oid: clientId,
    sub: clientId,
    tid: state.tenantId,
    jti: randomUUID(),
  })}.`;
  state.tokens.add(t);
  return t;
}

async function identity(
  state: ArmState,
  req: IncomingMessage,
  url: URL,
  origin: string,
): Promise<ArmResponse | undefined> {
  const p = url.pathname;
  // OpenID configuration, on any prefix (MSAL asks `{authority}/v2.0/.well-known/…`, the CLI `/adfs/.well-known/…`).
  const oidc = /^(.*)\/\.well-known\/openid-configuration$/.exec(p);
  if (oidc && req.method === 'GET') {
    const prefix = oidc[1]!.replace(/\/v2\.0$/, '');
    const adfs = prefix.toLowerCase().startsWith('/adfs');
    const tenant = adfs ? 'adfs' : prefix.split('/')[1] || state.tenantId;
    const base = `${origin}${adfs ? '/adfs' : `/${tenant}`}`;
    return {
      status: 200,
      body: {
        issuer: adfs ? `${origin}/adfs` : `${origin}/${tenant}/v2.0`,
        authorization_endpoint: `${base}/oauth2${adfs ? '' : '/v2.0'}/authorize`,
        token_endpoint: `${base}/oauth2${adfs ? '' : '/v2.0'}/token`,
        device_authorization_endpoint: `${base}/oauth2/devicecode`,
        end_session_endpoint: `${base}/oauth2/logout`,
        jwks_uri: `${base}/discovery/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: 'NA',
      },
    };
  }
  if (/\/discovery\/instance$/.test(p) && req.method === 'GET') {
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${origin}/${state.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: url.host, preferred_cache: url.host, aliases: [url.host] }],
      },
    };
  }
  if (/\/oauth2(\/v2\.0)?\/token$/.test(p) && req.method === 'POST') {
    const form = new URLSearchParams(await readText(req));
    const clientId = form.get('client_id') ?? '';
    const secret = form.get('client_secret') ?? '';
    const expected = state.clients?.[clientId];
    if (form.get('grant_type') !== 'client_credentials')
      return {
        status: 400,
        body: {
          error: 'unsupported_grant_type',
          error_description: `AADSTS70003: grant ${form.get('grant_type')} is not supported by the emulator`,
        },
      };
    if (state.clients && (expected === undefined || expected !== secret)) {
      return {
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: `AADSTS7000215: Invalid client secret provided for application '${clientId}'.`,
          error_codes: [7000215],
        },
      };
    }
    const scope = form.get('scope') ?? form.get('resource') ?? '';
    const audience = scope
      .split(' ')[0]!
      .replace(/\/?\.default$/, '/')
      .replace(/\/\/$/, '/');
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token(state, clientId, audience, `${origin}/${state.tenantId}/`),
      },
    };
  }
  return undefined;
}

async function handle(state: ArmState, req: IncomingMessage, res: ServerResponse, routes?: ArmRoute): Promise<void> {
  const host = req.headers.host ?? '127.0.0.1';
  const origin = `https://${host}`;
  const base = `${origin}/`;
  const url = new URL(req.url ?? '/', origin);
  const method = (req.method ?? 'GET').toUpperCase();
  const agent = req.headers['user-agent'];
  const record = (status: number) => state.requests.push({ method, path: url.pathname, status, agent });

  if (url.pathname === '/emulator/faults') {
    if (method === 'POST') state.faults.push((await readJson(req)) as ArmFault);
    if (method === 'DELETE') state.faults.length = 0;
    return send(res, { status: 200, body: { faults: state.faults.length } });
  }
  if (url.pathname === '/metadata/endpoints' && method === 'GET') {
    record(200);
    return send(res, {
      status: 200,
      body: {
        galleryEndpoint: base,
        graphEndpoint: 'https://graph.capi-fn.local/',
        portalEndpoint: base,
        authentication: { loginEndpoint: `${origin}/adfs`, audiences: [CLI_RESOURCE] },
      },
    });
  }
  try {
    const id = await identity(state, req, url, origin);
    if (id) {
      record(id.status);
      return send(res, id);
    }
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/i.exec(auth)?.[1];
    if (!bearer)
      throw new ArmHttpError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
      );
    if (!state.tokens.has(bearer))
      throw new ArmHttpError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    const fault = state.takeFault(method, url.pathname);
    if (fault?.http) {
      const h = fault.http;
      throw new ArmHttpError(h.status, h.code, h.message ?? `${h.code} (injected)`, {
        ...(h.status === 429 ? { headers: { 'retry-after': String(h.retryAfter ?? 1) } } : {}),
      });
    }
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion)
      throw new ArmHttpError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    const body = method === 'PUT' || method === 'PATCH' || method === 'POST' ? await readJson(req) : {};
    const r = routes?.(method, url) ?? route(state, method, url, body, base, apiVersion, fault);
    record(r.status);
    return send(res, method === 'HEAD' ? { ...r, body: undefined } : r);
  } catch (e) {
    if (e instanceof ArmHttpError) {
      record(e.status);
      return send(res, { status: e.status, body: e.body(), headers: e.headers });
    }
    throw e;
  }
}

function route(
  state: ArmState,
  method: string,
  url: URL,
  body: Json,
  base: string,
  apiVersion: string,
  fault: ArmFault | undefined,
): ArmResponse {
  const s = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const lower = s.map((x) => x.toLowerCase());
  const ok = (b: unknown): ArmResponse => ({ status: 200, body: b });
  if (lower[0] !== 'subscriptions') throw new ArmHttpError(404, 'NotFound', `No route for ${url.pathname}`);
  if (s.length === 1 && method === 'GET') return ok({ value: [state.subscriptionJson()] });
  const sub = s[1]!;
  if (sub.toLowerCase() !== state.subscriptionId.toLowerCase())
    throw new ArmHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  if (s.length === 2 && method === 'GET') return ok(state.subscriptionJson());
  if (lower[2] === 'locations' && s.length === 3 && method === 'GET') return ok({ value: state.locationsJson(sub) });

  // Subscription-level providers: operations, SKUs, marketplace images, lists.
  if (lower[2] === 'providers' && s[3]) {
    const ns = s[3];
    const rest = lower.slice(4);
    if (
      rest[0] === 'locations' &&
      (rest[2] === 'operations' || rest[2] === 'operationresults') &&
      s[7] &&
      method === 'GET'
    )
      return rest[2] === 'operations' ? state.operationStatus(s[7]) : state.operationResult(s[7], base, apiVersion);
    if (ns.toLowerCase() === 'microsoft.compute' && rest[0] === 'skus' && method === 'GET') {
      const loc = /location eq '([^']+)'/i.exec(url.searchParams.get('$filter') ?? '')?.[1];
      return ok({ value: state.skusJson(loc) });
    }
    // locations/{l}/publishers/{p}/artifacttypes/vmimage/offers/{o}/skus/{s}/versions/{v}
    if (
      rest[0] === 'locations' &&
      rest[2] === 'publishers' &&
      rest[4] === 'artifacttypes' &&
      rest[6] === 'offers' &&
      rest[8] === 'skus' &&
      rest[10] === 'versions' &&
      method === 'GET'
    ) {
      if (s[14]) return ok(state.marketplaceImage(s[5]!, s[7]!, s[11]!, s[13]!, s[15] ?? s[14]));
      return ok(
        state.marketplace.map((m) => ({
          name: m.version,
          location: s[5],
          id: `${m.publisher}/${m.offer}/${m.sku}/${m.version}`,
        })),
      );
    }
    if (rest[0] === 'locations' && rest[2] === 'vmsizes' && method === 'GET')
      return ok({
        value: state.skus.map((k) => ({
          name: k.name,
          numberOfCores: k.vCPUs,
          memoryInMB: k.memoryGB * 1024,
          maxDataDiskCount: 8,
          osDiskSizeInMB: 1047552,
          resourceDiskSizeInMB: 32768,
        })),
      });
    if (rest.length === 1 && method === 'GET') return ok({ value: state.list(sub, undefined, `${ns}/${s[4]}`) });
  }

  // Resource groups.
  if (lower[2] === 'resourcegroups' && s.length === 3 && method === 'GET') return ok({ value: state.listGroups(sub) });
  if (lower[2] !== 'resourcegroups' || !s[3]) throw new ArmHttpError(404, 'NotFound', `No route for ${url.pathname}`);
  const rg = s[3];
  if (s.length === 4) {
    if (method === 'GET') return ok(state.groupJson(state.group(sub, rg)));
    if (method === 'HEAD') {
      try {
        state.group(sub, rg);
        return { status: 204 };
      } catch {
        return { status: 404 };
      }
    }
    if (method === 'PUT') return state.putGroup(sub, rg, body);
    if (method === 'DELETE') return state.deleteGroup(sub, rg);
  }
  if (lower[4] !== 'providers' || !s[5] || !s[6])
    throw new ArmHttpError(404, 'NotFound', `No route for ${url.pathname}`);
  const ns = s[5];
  const segs = s.slice(6);
  // A list (`…/virtualMachines`, `…/virtualNetworks/v/subnets`).
  if (segs.length % 2 === 1 && method === 'GET') {
    const type = [ns, ...segs.filter((_, i) => i % 2 === 0)].join('/');
    if (segs.length === 1) return ok({ value: state.list(sub, rg, type) });
    const parent = state.get(sub, rg, ns, segs.slice(0, -1), false);
    const prefix = `${String(parent.id).toLowerCase()}/${segs[segs.length - 1]!.toLowerCase()}/`;
    return ok({ value: state.list(sub, rg, type).filter((r) => String(r.id).toLowerCase().startsWith(prefix)) });
  }
  const isVm = ns.toLowerCase() === 'microsoft.compute' && segs[0]?.toLowerCase() === 'virtualmachines';
  if (isVm && segs.length === 3 && segs[2]!.toLowerCase() === 'instanceview' && method === 'GET') {
    const vm = state.get(sub, rg, ns, segs.slice(0, 2), true);
    return ok((vm.properties as Json).instanceView);
  }
  if (isVm && segs.length === 3 && method === 'POST')
    return state.vmAction(sub, rg, segs[1]!, segs[2]!, base, apiVersion);
  if (segs.length % 2 === 0) {
    if (method === 'GET') return ok(state.get(sub, rg, ns, segs, url.searchParams.get('$expand') === 'instanceView'));
    if (method === 'PUT') return state.put(sub, rg, ns, segs, body, base, apiVersion, fault);
    if (method === 'DELETE') return state.delete(sub, rg, ns, segs, base, apiVersion);
    if (method === 'PATCH') {
      const cur = state.get(sub, rg, ns, segs, false);
      return state.put(
        sub,
        rg,
        ns,
        segs,
        { ...cur, ...body, properties: { ...(cur.properties as Json), ...((body.properties as Json) ?? {}) } },
        base,
        apiVersion,
      );
    }
  }
  throw new ArmHttpError(404, 'NotFound', `No route for ${method} ${url.pathname}`);
}
