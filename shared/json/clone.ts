// A deep copy for JSON-shaped data (objects parsed from the API), about ten times faster than structuredClone,
// which serialises through V8's value serializer: profiles of the scale benchmark put structuredClone at 9% of
// the embedded API server's CPU and 4% of the handlers'. Plain objects and arrays are copied here, keys with
// undefined kept as structuredClone keeps them, a "__proto__" key kept as a key (a request body may carry one);
// anything else that is an object (a Date, a Map, a typed array) goes to structuredClone. For JSON data the result
// equals structuredClone's; unlike it, shared references are copied apart and a cycle is not supported.

export function cloneJson<T>(v: T): T {
  return copy(v) as T;
}

function copy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = copy((v as Record<string, unknown>)[k]);
    // Assigning "__proto__" would set the copy's prototype instead of a key.
    if (k === '__proto__')
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}
