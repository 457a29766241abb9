// Request parsing: URL → resource coordinates, media types, body decoding (JSON, YAML, protobuf).
import { parse as parseYaml } from 'yaml';
import { MAX_NESTING, nestsDeeperThan } from '../../shared/api/nesting.ts';
import { decodeProtobufObject } from './protobuf.ts';
import { ApiError, badRequest, unsupportedMediaType } from './status-errors.ts';

export interface ResourcePath {
  group: string;
  version: string;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string;
  /** legacy /watch/ prefix */
  watchPrefix: boolean;
}

/** A malformed escape is the client's error: Go's URL parsing answers 400 before any handler runs. */
function decodePathSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    const malformed = /%(?![0-9A-Fa-f]{2}).{0,2}/.exec(seg)?.[0];
    if (malformed) throw badRequest(`invalid URL escape "${malformed}"`);
    throw badRequest(`path segment "${seg}" does not decode to UTF-8`);
  }
}

/** `/api/v1/...` and `/apis/<g>/<v>/...`; undefined for anything that is not a resource path. */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const segs = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodePathSegment);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  return {
    group,
    version,
    resource: rest[0]!,
    namespace,
    name: rest[1],
    subresource: rest[2] ?? '',
    watchPrefix,
  };
}

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [t, ...ps] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of ps) {
        const i = p.indexOf('=');
        if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
      }
      return { type: (t ?? '').toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

export type OutputFormat = 'json' | 'yaml';

export interface Negotiated {
  format: OutputFormat;
  table: boolean;
  discoveryV2: boolean;
}

/** Accept headers seen lately and what they chose: a client sends the same one on every request. */
const negotiated = new Map<string, Negotiated>();
const NEGOTIATED_KEPT = 64;

/** Pick the response representation from Accept. Protobuf-only clients get 406 (every real client also lists JSON). */
export function negotiate(accept: string | undefined): Negotiated {
  if (accept === undefined) return negotiateUncached(accept);
  const known = negotiated.get(accept);
  if (known) return { ...known };
  const n = negotiateUncached(accept);
  if (negotiated.size >= NEGOTIATED_KEPT) negotiated.delete(negotiated.keys().next().value!);
  negotiated.set(accept, n);
  return { ...n };
}

function negotiateUncached(accept: string | undefined): Negotiated {
  const types = parseMediaTypes(accept);
  if (types.length === 0) return { format: 'json', table: false, discoveryV2: false };
  for (const m of types) {
    const isJson = m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*';
    if (
      m.params.as === 'Table' &&
      m.params.g === 'meta.k8s.io' &&
      (m.type === 'application/json' || m.type === 'application/yaml')
    )
      return { format: m.type === 'application/yaml' ? 'yaml' : 'json', table: true, discoveryV2: false };
    if (
      m.params.as === 'APIGroupDiscoveryList' &&
      m.params.g === 'apidiscovery.k8s.io' &&
      m.params.v === 'v2' &&
      m.type === 'application/json'
    )
      return { format: 'json', table: false, discoveryV2: true };
    if (m.params.as) continue;
    if (isJson) return { format: 'json', table: false, discoveryV2: false };
    if (m.type === 'application/yaml') return { format: 'yaml', table: false, discoveryV2: false };
  }
  throw new ApiError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );
}

export const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

export function contentType(header: string | undefined): string {
  // Upstream picks the first supported type when Content-Type is missing (kubectl scale --current-replicas).
  if (!header) return 'application/json';
  return (parseMediaTypes(header)[0]?.type ?? 'application/json').toLowerCase();
}

/** Decode an object body by media type. */
export function decodeObjectBody(body: Buffer, ctype: string): unknown {
  switch (ctype) {
    case 'application/json':
      return parseJson(body);
    case 'application/yaml':
      return parseYamlBody(body);
    case 'application/vnd.kubernetes.protobuf':
      return shallowEnough(decodeProtobufObject(body));
    default:
      throw unsupportedMediaType(ctype, BODY_TYPES);
  }
}

/**
 * A body nested deeper than MAX_NESTING is refused at once: deeper ones were stored and then broke every YAML
 * read of their namespace (the serializer recurses), and from ~1,500 levels the write itself failed with a 500.
 */
function shallowEnough<T>(v: T): T {
  if (nestsDeeperThan(v))
    throw badRequest(
      `the object nests deeper than ${MAX_NESTING} levels, the most this API server accepts (Kubernetes objects nest a few dozen)`,
    );
  return v;
}

export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest("Object 'Kind' is missing in ''");
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
  return shallowEnough(v);
}

export function parseYamlBody(body: Buffer): unknown {
  let v: unknown;
  try {
    v = parseYaml(body.toString('utf8')) as unknown;
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return shallowEnough(v);
}

interface Frame {
  isArray: boolean;
  /** Elements seen so far (arrays), the keys seen so far and the last one (objects). */
  index: number;
  keys?: Set<string>;
  key?: string;
  parent?: Frame;
  /** Where this container sits in its parent: the key or the element index. */
  at: string | number;
}

/** A container's path as strict field validation prints it (`spec.list[2].name`), built only for a duplicate. */
function pathOf(f: Frame | undefined): string {
  if (!f?.parent) return '';
  const up = pathOf(f.parent);
  return typeof f.at === 'number' ? `${up}[${f.at}]` : up ? `${up}.${f.at}` : f.at;
}

/**
 * JSON keys that occur twice in one object (strict field validation reports them). Every write's body is scanned,
 * so this skips string values without decoding them and decodes a key only when it has an escape.
 */
export function duplicateJsonFields(text: string): string[] {
  const dups: string[] = [];
  let top: Frame | undefined;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = i + 1;
      for (;;) {
        const q = text.indexOf('"', end);
        if (q < 0) {
          end = n;
          break;
        }
        let b = q - 1;
        while (text.charCodeAt(b) === 92 /* \ */) b--;
        if ((q - 1 - b) % 2 === 0) {
          end = q;
          break;
        }
        end = q + 1;
      }
      if (expectKey && top && !top.isArray) {
        const raw = text.slice(i + 1, end);
        let key = raw;
        if (raw.includes('\\')) {
          try {
            key = JSON.parse(`"${raw}"`) as string;
          } catch {
            key = raw;
          }
        }
        top.keys ??= new Set();
        if (top.keys.has(key)) {
          const up = pathOf(top);
          dups.push(up ? `${up}.${key}` : key);
        }
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      const at = top ? (top.isArray ? top.index : (top.key ?? '')) : '';
      top = { isArray: c === 91, index: 0, at, ...(top ? { parent: top } : {}) };
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      top = top?.parent;
      expectKey = false;
    } else if (c === 44 /* , */) {
      if (top?.isArray) top.index++;
      else expectKey = true;
    }
  }
  return dups;
}
