// The JSONPath subset CRD printer columns and selectable fields use: `.a.b`, `.a[0]`, `.a[*].b`,
// `.a[?(@.type=="Ready")].status`, optionally wrapped in `{...}` as kubectl writes it.
import { isObject } from './util.ts';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: unknown };

export class JsonPathError extends Error {}

export function parseJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) {
          name += s[i + 1];
          i += 2;
          continue;
        }
        name += s[i];
        i++;
      }
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (name !== '') steps.push({ kind: 'field', name });
    } else if (c === '[') {
      const close = findClose(s, i);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^['"].*['"]$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else {
        const m = /^\?\(\s*@((?:\.[^=!\s]+)+)\s*(==|!=)\s*(.+?)\s*\)$/.exec(inner);
        if (!m) throw new JsonPathError(`unsupported JSONPath expression: ${expr}`);
        let value: unknown = m[3]!;
        const raw = m[3]!;
        if (/^".*"$|^'.*'$/.test(raw)) value = raw.slice(1, -1);
        else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
        else if (raw === 'true' || raw === 'false') value = raw === 'true';
        steps.push({ kind: 'filter', path: m[1]!.slice(1).split('.'), op: m[2] as '==' | '!=', value });
      }
    } else {
      throw new JsonPathError(`unrecognized character in JSONPath "${expr}" at ${i}`);
    }
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new JsonPathError(`unclosed [ in JSONPath "${s}"`);
}

export function evalJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (st.kind) {
        case 'field':
          if (isObject(v) && v[st.name] !== undefined) next.push(v[st.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = st.index < 0 ? v.length + st.index : st.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v) {
              let x: unknown = item;
              for (const p of st.path) x = isObject(x) ? x[p] : undefined;
              const eq =
                x === st.value ||
                (x !== undefined &&
                  String(x) === String(st.value) &&
                  typeof st.value === 'string' &&
                  typeof x === 'string');
              if (st.op === '==' ? eq : !eq) next.push(item);
            }
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/** How kubectl's JSONPath printer renders one value: strings raw, everything else as JSON. */
export function printJsonPathValue(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
