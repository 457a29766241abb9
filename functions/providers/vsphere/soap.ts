// The vim25 SOAP wire: envelopes written by hand (element order is the WSDL's, which vCenter checks), answers
// read with fast-xml-parser, faults turned into VimFault. No WSDL code generation: a request body is a plain
// object whose key order is the schema's sequence, with `xsi` naming a derived type and `Ref` a managed object.

import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { XMLParser } from 'fast-xml-parser';
import { type MoRef, type Node, text, xsiType } from './soap-values.ts';

export * from './soap-values.ts';

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isMoRef(v: unknown): v is MoRef {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.keys(v).length === 2 &&
    typeof (v as MoRef).type === 'string' &&
    typeof (v as MoRef).value === 'string'
  );
}

/** One element (repeated for arrays); undefined is left out. */
export function encode(name: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => encode(name, x)).join('');
  if (typeof v !== 'object') return `<${name}>${xmlEscape(String(v))}</${name}>`;
  if (isMoRef(v)) return `<${name} type="${xmlEscape(v.type)}">${xmlEscape(v.value)}</${name}>`;
  const o = v as Record<string, unknown>;
  // A parsed element echoed back (a device read from the VM): its attributes are kept as `@attr`.
  let attrs = '';
  let body = '';
  for (const [k, x] of Object.entries(o)) {
    if (k === 'xsi') attrs += ` xsi:type="${xmlEscape(String(x))}"`;
    else if (k.startsWith('@')) attrs += ` ${k.slice(1)}="${xmlEscape(String(x))}"`;
    else if (k === '_text') body += xmlEscape(String(x));
    else body += encode(k, x);
  }
  return `<${name}${attrs}>${body}</${name}>`;
}

/**
 * One request. `namespace` is `urn:vim25`, or `urn:pbm` for the storage policy service; `header` carries what that
 * service needs of the vim25 session (`vcSessionCookie`).
 */
export function envelope(
  method: string,
  self: MoRef,
  args: Record<string, unknown>,
  o: { namespace?: string; header?: Record<string, string> } = {},
): string {
  let body = encode('_this', self);
  for (const [k, v] of Object.entries(args)) body += encode(k, v);
  const header = o.header
    ? `<soapenv:Header>${Object.entries(o.header)
        .map(([k, v]) => encode(k, v))
        .join('')}</soapenv:Header>`
    : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `${header}<soapenv:Body><${method} xmlns="${o.namespace ?? 'urn:vim25'}">${body}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '_text',
  // Every value stays a string: a VM named "0012" or a key "1e3" must not become a number.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  removeNSPrefix: false,
});

/** Drops the namespace prefix of element names (the body's `vim25:` or none), keeping attributes as they are. */
function unprefix(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unprefix);
  if (!v || typeof v !== 'object') return v;
  const out: Node = {};
  for (const [k, x] of Object.entries(v as Node)) {
    // Namespace declarations go; the schema-instance type attribute is `@xsi:type` whatever its prefix (vcsim
    // declares `XMLSchema-instance` inline, vCenter uses `xsi` from the envelope).
    if (k.startsWith('@xmlns')) continue;
    if (k.startsWith('@') && k.endsWith(':type')) {
      out['@xsi:type'] = x;
      continue;
    }
    const key = k.startsWith('@') || !k.includes(':') ? k : k.slice(k.indexOf(':') + 1);
    out[key] = unprefix(x);
  }
  return out;
}

export function parseXml(xml: string): Node {
  return unprefix(parser.parse(xml)) as Node;
}

/**
 * A vim25 fault: `name` is the fault type (`NotAuthenticated`, `InvalidLogin`, `ManagedObjectNotFound`,
 * `DuplicateName`, `InvalidPowerState`, `FileFault` …), from the `detail` element or the task's `error.fault`.
 */
export class VimFault extends Error {
  readonly fault: string;
  readonly detail: Node | undefined;
  readonly httpStatus: number | undefined;
  constructor(fault: string, message: string, o: { detail?: Node | undefined; httpStatus?: number } = {}) {
    super(message || fault);
    this.name = 'VimFault';
    this.fault = fault;
    this.detail = o.detail;
    this.httpStatus = o.httpStatus;
  }
}

/** A reply that is not SOAP at all (a proxy's HTML page, a 503 from a load balancer). */
export class VimHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'VimHttpError';
    this.status = status;
  }
}

/** The fault of a `soapenv:Fault` element: the detail's type, else the faultstring. */
export function faultOf(f: Node, httpStatus?: number): VimFault {
  const message = text(f.faultstring) ?? 'SOAP fault';
  const detail = f.detail as Node | undefined;
  const first = detail ? Object.entries(detail).find(([k]) => !k.startsWith('@') && k !== '_text') : undefined;
  const name = first ? (xsiType(first[1]) ?? first[0].replace(/Fault$/, '')) : 'SystemError';
  return new VimFault(name, message, { detail: first?.[1] as Node | undefined, httpStatus: httpStatus ?? 500 });
}

export interface TransportOptions {
  /** Skip the server certificate check (vcsim's self-signed certificate, a lab vCenter). */
  insecure?: boolean;
  /** PEM bundle of the CAs that sign vCenter's certificate. */
  ca?: string;
  timeoutMs?: number;
}

export interface WireResponse {
  status: number;
  setCookie: string[];
  body: string;
}

/** Sends one POST; a transport stands in for tests. */
export type Transport = (url: URL, headers: Record<string, string>, body: string) => Promise<WireResponse>;

/**
 * node:https rather than fetch: Node's fetch takes neither a CA bundle nor `rejectUnauthorized` per request
 * without the undici package; this keeps connections alive across a warm function's calls all the same.
 */
export function httpTransport(o: TransportOptions = {}): Transport {
  const httpsAgent = new HttpsAgent({
    keepAlive: true,
    maxSockets: 8,
    rejectUnauthorized: !o.insecure,
    ...(o.ca ? { ca: o.ca } : {}),
  });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  return (url, headers, body) =>
    new Promise<WireResponse>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
          timeout: o.timeoutMs ?? 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              setCookie: res.headers['set-cookie'] ?? [],
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('vCenter request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
}
