// The `filter` parameter of Compute Engine list calls: expressions `field op value` where op is `=`, `!=`, `:`
// (has; `:*` = present), `eq`/`ne` (regular expression, whole value), joined by AND (or juxtaposition) and OR,
// with parentheses. Fields are dotted paths into the resource (`labels.env`, `status`, `name`).

export type Resource = Record<string, unknown>;
type Pred = (r: Resource) => boolean;

function valueAt(r: Resource, path: string): unknown {
  let cur: unknown = r;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|!=|=|:|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s()=!:"']+)/y;
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new Error(`invalid filter near "${s.slice(i, i + 20)}"`);
    out.push(m[1]!);
    i = re.lastIndex;
  }
  return out;
}

const unquote = (v: string) => (/^(["']).*\1$/.test(v) ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v);
const str = (v: unknown) =>
  v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Parses a filter into a predicate; throws on a malformed filter (the API answers 400). */
export function parseFilter(filter: string | undefined): Pred {
  if (!filter?.trim()) return () => true;
  const t = tokenize(filter);
  let p = 0;
  const peek = () => t[p];
  const next = () => {
    const x = t[p++];
    if (x === undefined) throw new Error('invalid filter: unexpected end');
    return x;
  };
  function term(): Pred {
    if (peek() === '(') {
      next();
      const e = or();
      if (next() !== ')') throw new Error('invalid filter: missing )');
      return e;
    }
    if (peek()?.toUpperCase() === 'NOT') {
      next();
      const e = term();
      return (r) => !e(r);
    }
    const field = next();
    const op = next();
    const raw = next();
    const value = unquote(raw);
    switch (op) {
      case '=':
        return (r) => str(valueAt(r, field)) === value;
      case '!=':
        return (r) => str(valueAt(r, field)) !== value;
      case ':':
        return (r) => {
          const v = valueAt(r, field);
          if (value === '*') return v !== undefined && v !== null;
          return Array.isArray(v) ? v.some((x) => str(x) === value) : (str(v) ?? '').includes(value);
        };
      case 'eq':
      case 'ne': {
        const re = new RegExp(`^(?:${value})$`);
        return (r) => re.test(str(valueAt(r, field)) ?? '') === (op === 'eq');
      }
      default:
        throw new Error(`invalid filter: unknown operator "${op}"`);
    }
  }
  function and(): Pred {
    const parts = [term()];
    while (p < t.length && peek() !== ')' && peek()?.toUpperCase() !== 'OR') {
      if (peek()?.toUpperCase() === 'AND') next();
      parts.push(term());
    }
    return (r) => parts.every((x) => x(r));
  }
  function or(): Pred {
    const parts = [and()];
    while (peek()?.toUpperCase() === 'OR') {
      next();
      parts.push(and());
    }
    return (r) => parts.some((x) => x(r));
  }
  const e = or();
  if (p !== t.length) throw new Error(`invalid filter near "${t.slice(p).join(' ')}"`);
  return e;
}
