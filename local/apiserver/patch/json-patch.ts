// RFC 6902 JSON Patch. Errors distinguish an undecodable patch (400) from an operation that fails (422),
// the split the Kubernetes patch handler makes.
import { clone, deepEqual, isObject } from '../util.ts';

export class PatchDecodeError extends Error {}
export class PatchApplyError extends Error {}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

export const MAX_JSON_PATCH_OPS = 10000;

export function decodeJsonPatch(body: unknown): Op[] {
  if (!Array.isArray(body))
    throw new PatchDecodeError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  if (body.length > MAX_JSON_PATCH_OPS)
    throw new PatchDecodeError(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPS}, got ${body.length}`,
    );
  return body.map((o) => {
    if (!isObject(o) || typeof o.op !== 'string' || typeof o.path !== 'string')
      throw new PatchDecodeError('json: invalid JSON patch operation');
    return o as unknown as Op;
  });
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchApplyError(`invalid JSON pointer: "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(doc: unknown, tokens: string[], path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i]!;
    if (Array.isArray(cur)) {
      const idx = arrayIndex(t, cur.length - 1, path);
      cur = cur[idx];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, t)) throw new PatchApplyError(`doc is missing path: "${path}": missing value`);
      cur = cur[t];
    } else throw new PatchApplyError(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchApplyError(`doc is missing path: "${path}": missing value`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function arrayIndex(t: string, max: number, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(t)) throw new PatchApplyError(`invalid array index "${t}" in "${path}"`);
  const n = Number(t);
  if (n > max || n < 0) throw new PatchApplyError(`unable to access invalid index: ${n}: invalid index referenced`);
  return n;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length - 1, path)];
  if (!Object.hasOwn(parent, key)) throw new PatchApplyError(`doc is missing path: "${path}": missing value`);
  return parent[key];
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchApplyError('cannot remove the whole document');
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key, parent.length - 1, path);
    return parent.splice(idx, 1)[0];
  }
  if (!Object.hasOwn(parent, key)) throw new PatchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) {
    if (replace) {
      parent[arrayIndex(key, parent.length - 1, path)] = value;
    } else if (key === '-') parent.push(value);
    else parent.splice(arrayIndex(key, parent.length, path), 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, key))
      throw new PatchApplyError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[key] = value;
  }
  return doc;
}

export function applyJsonPatch(docIn: unknown, ops: Op[]): unknown {
  let doc = clone(docIn);
  for (const o of ops) {
    switch (o.op) {
      case 'add':
        if (!('value' in o)) throw new PatchApplyError('missing value');
        doc = addAt(doc, o.path, clone(o.value), false);
        break;
      case 'remove':
        removeAt(doc, o.path);
        break;
      case 'replace':
        if (!('value' in o)) throw new PatchApplyError('missing value');
        doc = addAt(doc, o.path, clone(o.value), true);
        break;
      case 'move': {
        if (typeof o.from !== 'string') throw new PatchApplyError('missing from');
        const v = removeAt(doc, o.from);
        doc = addAt(doc, o.path, v, false);
        break;
      }
      case 'copy': {
        if (typeof o.from !== 'string') throw new PatchApplyError('missing from');
        doc = addAt(doc, o.path, clone(getAt(doc, o.from)), false);
        break;
      }
      case 'test': {
        let actual: unknown;
        try {
          actual = getAt(doc, o.path);
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual, o.value)) throw new PatchApplyError(`testing value ${o.path} failed: test failed`);
        break;
      }
      default:
        throw new PatchDecodeError(`Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}
