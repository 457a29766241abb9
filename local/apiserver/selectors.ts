// Label and field selectors with the full Kubernetes syntax (apimachinery labels.Parse / fields.ParseSelector).
import { badRequest } from './status-errors.ts';

export type LabelOp = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function labelKeyError(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    name = n;
  } else if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_RE.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  return undefined;
}

export function labelValueError(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (v.length > 0 && !NAME_RE.test(v))
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  return undefined;
}

/** Tokenizer + recursive descent over the selector grammar; any error is a 400 like upstream. */
export function parseLabelSelector(input: string): LabelSelector {
  const s = input.trim();
  const reqs: LabelRequirement[] = [];
  if (s === '') return reqs;
  let i = 0;
  const fail = (msg: string): never => {
    throw badRequest(`unable to parse requirement: ${msg}`);
  };
  const skipWs = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const readIdent = (): string => {
    skipWs();
    const start = i;
    while (i < s.length && !/[\s,=!()<>]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i <= s.length) {
    skipWs();
    let op: LabelOp | undefined;
    if (s[i] === '!') {
      i++;
      const key = readIdent();
      const e = labelKeyError(key);
      if (e) fail(`invalid label key "${key}": ${e}`);
      reqs.push({ key, op: '!', values: [] });
    } else {
      const key = readIdent();
      if (key === '') fail("found '', expected: identifier");
      const ke = labelKeyError(key);
      if (ke) fail(`invalid label key "${key}": ${ke}`);
      skipWs();
      const rest = s.slice(i);
      let values: string[] = [];
      if (rest.startsWith('==')) {
        op = '=';
        i += 2;
      } else if (rest.startsWith('!=')) {
        op = '!=';
        i += 2;
      } else if (rest.startsWith('=')) {
        op = '=';
        i += 1;
      } else if (rest.startsWith('>')) {
        op = '>';
        i += 1;
      } else if (rest.startsWith('<')) {
        op = '<';
        i += 1;
      } else if (/^in\s*\(/.test(rest)) {
        op = 'in';
        i += 2;
      } else if (/^notin\s*\(/.test(rest)) {
        op = 'notin';
        i += 5;
      } else if (rest === '' || rest.startsWith(',')) {
        op = 'exists';
      } else {
        fail(`found '${rest[0]}', expected: in, notin, =, ==, !=, gt, lt`);
      }
      if (op === 'in' || op === 'notin') {
        skipWs();
        if (s[i] !== '(') fail("found '', expected: '('");
        i++;
        const close = s.indexOf(')', i);
        if (close < 0) fail("found '', expected: ')'");
        values = s
          .slice(i, close)
          .split(',')
          .map((v) => v.trim());
        if (values.length === 1 && values[0] === '') values = [''];
        i = close + 1;
      } else if (op !== 'exists') {
        const v = readIdent();
        values = [v];
        if ((op === '>' || op === '<') && !/^-?\d+$/.test(v)) {
          fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        }
      }
      for (const v of values) {
        const ve = labelValueError(v);
        if (ve) fail(`invalid label value: "${v}": at key: "${key}": ${ve}`);
      }
      reqs.push({ key, op: op!, values });
    }
    skipWs();
    if (i >= s.length) break;
    if (s[i] !== ',') fail(`found '${s[i]}', expected: ',' or 'end of string'`);
    i++;
  }
  return reqs;
}

export function matchLabels(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const r of sel) {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case '=':
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '>':
      case '<': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const target = Number(r.values[0]);
        if (r.op === '>' ? !(n > target) : !(n < target)) return false;
        break;
      }
    }
  }
  return true;
}

/** metav1.LabelSelector ({matchLabels, matchExpressions}) as used by PDBs, webhooks and owners. */
export function fromLabelSelectorObject(sel: unknown): LabelSelector | undefined {
  if (sel === null || sel === undefined || typeof sel !== 'object') return undefined;
  const o = sel as { matchLabels?: Record<string, unknown>; matchExpressions?: unknown[] };
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(o.matchLabels ?? {})) reqs.push({ key: k, op: '=', values: [String(v)] });
  for (const e of o.matchExpressions ?? []) {
    const ex = e as { key?: string; operator?: string; values?: string[] };
    const key = ex.key ?? '';
    const values = ex.values ?? [];
    switch (ex.operator) {
      case 'In':
        reqs.push({ key, op: 'in', values });
        break;
      case 'NotIn':
        reqs.push({ key, op: 'notin', values });
        break;
      case 'Exists':
        reqs.push({ key, op: 'exists', values: [] });
        break;
      case 'DoesNotExist':
        reqs.push({ key, op: '!', values: [] });
        break;
      default:
        throw badRequest(`"${ex.operator}" is not a valid label selector operator`);
    }
  }
  return reqs;
}

/** The string form used in Scale.status.selector. */
export function labelSelectorToString(sel: LabelSelector): string {
  return sel
    .map((r) => {
      switch (r.op) {
        case '=':
          return `${r.key}=${r.values[0]}`;
        case '!=':
          return `${r.key}!=${r.values[0]}`;
        case 'in':
          return `${r.key} in (${r.values.join(',')})`;
        case 'notin':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        default:
          return `${r.key}${r.op}${r.values[0]}`;
      }
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(input: string): FieldSelector {
  const out: FieldSelector = [];
  if (input.trim() === '') return out;
  for (const part of splitUnescaped(input, ',')) {
    let m = /^(.*?)(==|!=|=)(.*)$/s.exec(part);
    // An escaped '=' inside the field name must not split it.
    if (m && m[1]!.endsWith('\\')) m = null;
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${part}'`);
    out.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3]!) });
  }
  return out;
}

export function matchFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  for (const r of sel) {
    const v = fields[r.field] ?? '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
