// Defensive access to untrusted JSON: admission requests carry whatever a client sent, so nothing here assumes a
// shape — a wrong type reads as absent and the validators report it.
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function strMap(v: unknown): Record<string, string> {
  const o = obj(v);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The object at `path`, created (as `{}`) along the way when missing or not an object. */
export function ensureObject(root: JsonObject, ...path: string[]): JsonObject {
  let cur = root;
  for (const p of path) {
    const next = cur[p];
    if (isObject(next)) cur = next;
    else {
      const created: JsonObject = {};
      cur[p] = created;
      cur = created;
    }
  }
  return cur;
}

export function at(root: unknown, ...path: string[]): unknown {
  let cur = root;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}
