// Holds the declared reads and writes to what the functions actually do: every request a test recorded (the fault
// ledger's transport) is turned into the (verb, group, resource, namespace, name) RBAC checks, and tried against the
// rules infra/rbac/ is generated from.
import { type ApiCall, allIdentityRules, allows, type IdentityRules } from '../../scripts/gen-rbac-rules.ts';
import type { RequestRecord } from '../support/faults.ts';

/**
 * The RBAC view of a request; undefined for discovery (`/api`, `/apis/<group>/<version>`), which every
 * authenticated user may read (the default `system:discovery` binding).
 */
export function apiCallOf(r: Pick<RequestRecord, 'method' | 'path' | 'stream'>): ApiCall | undefined {
  const url = new URL(r.path, 'https://api.invalid');
  const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (segs[0] === 'api') [group, rest] = ['', segs.slice(2)];
  else if (segs[0] === 'apis') [group, rest] = [segs[1] ?? '', segs.slice(3)];
  else throw new Error(`not an API path: ${r.path}`);
  if (rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
  const resource = sub ? `${plural}/${sub}` : plural;
  const watching = r.stream || ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const verb: ApiCall['verb'] =
    r.method === 'GET'
      ? name
        ? 'get'
        : watching
          ? 'watch'
          : 'list'
      : r.method === 'POST'
        ? 'create'
        : r.method === 'PUT'
          ? 'update'
          : r.method === 'PATCH'
            ? 'patch'
            : name
              ? 'delete'
              : 'deletecollection';
  return { verb, group, resource, namespace, name };
}

export interface Outside {
  handler: string;
  call: ApiCall;
  request: string;
}

/**
 * The recorded requests of deployed functions that their generated rules would refuse (one per distinct call), and
 * which functions made requests at all. Requests of handlers that are not deployed (the local provider's) are skipped.
 */
export function outsideRules(
  requests: RequestRecord[],
  o: { workloadNamespaces: string[] },
): { outside: Outside[]; checked: Map<string, number> } {
  const rules = new Map<string, IdentityRules>(allIdentityRules(o).map((r) => [r.name, r]));
  const outside = new Map<string, Outside>();
  const checked = new Map<string, number>();
  for (const r of requests) {
    const identity = rules.get(r.handler);
    if (!identity) continue;
    checked.set(r.handler, (checked.get(r.handler) ?? 0) + 1);
    const call = apiCallOf(r);
    if (!call || allows(identity, call)) continue;
    const key = `${r.handler} ${call.verb} ${call.group}/${call.resource} ${call.namespace ?? ''}/${call.name ?? ''}`;
    outside.set(key, { handler: r.handler, call, request: `${r.method} ${r.path}` });
  }
  return { outside: [...outside.values()], checked };
}

/** A readable line per refused call, for an assertion's diff. */
export function describeOutside(o: Outside[]): string[] {
  return o.map(
    (x) =>
      `${x.handler}: ${x.call.verb} ${x.call.resource}.${x.call.group || 'core'}` +
      `${x.call.namespace ? ` in ${x.call.namespace}` : ''}${x.call.name ? ` (${x.call.name})` : ''} — ${x.request}`,
  );
}
