// How deeply a decoded JSON value nests, measured without recursion (a recursive walk is what overflowed the
// stack at a few thousand levels). Kubernetes objects nest a few dozen levels at most, CRD schemas included.

/** The deepest nesting capi-fn accepts in an object it decodes (kube-apiserver's JSON decoder allows 10,000). */
export const MAX_NESTING = 512;

/** True when `value` nests deeper than `max` arrays/objects; stops looking as soon as it does. */
export function nestsDeeperThan(value: unknown, max = MAX_NESTING): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
