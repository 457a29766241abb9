// RFC 6902 JSON Patch from a before/after pair: what a mutating webhook returns (base64) instead of the object.
import { isObject } from './json.ts';

export type PatchOperation = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** RFC 6901 escaping: label keys such as `cluster.x-k8s.io/cluster-name` contain `/`. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(before: unknown, after: unknown, path: string, ops: PatchOperation[]): void {
  if (isObject(before) && isObject(after)) {
    for (const k of Object.keys(before)) {
      if (!(k in after) || after[k] === undefined) ops.push({ op: 'remove', path: `${path}/${pointerToken(k)}` });
    }
    for (const [k, v] of Object.entries(after)) {
      if (v === undefined) continue;
      const p = `${path}/${pointerToken(k)}`;
      if (!(k in before) || before[k] === undefined) ops.push({ op: 'add', path: p, value: v });
      else walk(before[k], v, p, ops);
    }
    return;
  }
  // Arrays and scalars are replaced whole: element-wise patches would depend on positions the server may shift.
  if (!same(before, after)) ops.push({ op: 'replace', path, value: after });
}

/** Operations turning `before` into `after` (both objects). Empty when they are equal. */
export function diffPatch(before: Record<string, unknown>, after: Record<string, unknown>): PatchOperation[] {
  const ops: PatchOperation[] = [];
  walk(before, after, '', ops);
  return ops;
}
