// The list filters the OpenStack APIs take, as the services apply them: Neutron matches each query key against
// the attribute (a repeated key is an OR), with `tags` (all of), `tags-any`, `not-tags`, `not-tags-any`
// (comma-separated); Nova's `name` is a regular expression searched in the name (CAPO anchors it, ^name$);
// Glance repeats `tag` (all of).

type Rec = Record<string, unknown>;

const TAG_KEYS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);
/** Paging and shaping parameters, never attribute filters. */
const CONTROL = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir', 'verbose']);

function splitTags(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).filter(Boolean);
}

export function matchTags(tags: string[], q: URLSearchParams): boolean {
  const all = splitTags(q.getAll('tags'));
  const any = splitTags(q.getAll('tags-any'));
  const notAll = splitTags(q.getAll('not-tags'));
  const notAny = splitTags(q.getAll('not-tags-any'));
  if (all.length && !all.every((t) => tags.includes(t))) return false;
  if (any.length && !any.some((t) => tags.includes(t))) return false;
  if (notAll.length && notAll.every((t) => tags.includes(t))) return false;
  if (notAny.length && notAny.some((t) => tags.includes(t))) return false;
  return true;
}

function attrMatches(value: unknown, wanted: string[]): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return wanted.some((w) => w.toLowerCase() === String(value));
  if (Array.isArray(value)) return wanted.some((w) => value.map(String).includes(w));
  return wanted.includes(String(value ?? ''));
}

/** Neutron's filtering: every query key (but the tag and paging keys) names an attribute. */
export function neutronFilter<T extends Rec>(
  items: T[],
  q: URLSearchParams,
  extra: Record<string, (r: T, v: string[]) => boolean> = {},
): T[] {
  const keys = [...new Set(q.keys())].filter((k) => !TAG_KEYS.has(k) && !CONTROL.has(k));
  return items.filter((r) => {
    if (!matchTags((r.tags as string[] | undefined) ?? [], q)) return false;
    for (const k of keys) {
      const wanted = q.getAll(k);
      const custom = extra[k];
      if (custom) {
        if (!custom(r, wanted)) return false;
        continue;
      }
      // `tenant_id` and `project_id` are the same thing.
      const attr = k === 'tenant_id' ? 'project_id' : k;
      if (!attrMatches(r[attr], wanted)) return false;
    }
    return true;
  });
}

/** Neutron's `fields=a&fields=b`: only those attributes. */
export function selectFields<T extends Rec>(r: T, q: URLSearchParams): Rec {
  const fields = q.getAll('fields').flatMap((f) => f.split(','));
  if (!fields.length) return r;
  return Object.fromEntries(fields.filter((f) => f in r).map((f) => [f, r[f]]));
}

/** Nova's `name` filter: a Python regular expression searched in the name. */
export function novaNameMatches(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

/** Paging by `limit` and `marker` (the id of the last item of the previous page). */
export function page<T extends { id: string }>(items: T[], q: URLSearchParams): { items: T[]; next?: string } {
  let start = 0;
  const marker = q.get('marker');
  if (marker) {
    const i = items.findIndex((x) => x.id === marker);
    start = i < 0 ? items.length : i + 1;
  }
  const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
  const slice = limit !== undefined && Number.isFinite(limit) ? items.slice(start, start + limit) : items.slice(start);
  const more = limit !== undefined && start + (limit ?? 0) < items.length;
  return more && slice.length ? { items: slice, next: slice[slice.length - 1]!.id } : { items: slice };
}
