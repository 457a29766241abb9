// Byte fields of built-in kinds (Secret data): Go decodes them from base64 while reading the body, so a bad value
// never reaches validation and kube-apiserver answers 400 "cannot be handled as a Secret: illegal base64 data at
// input byte N". Stored as sent, such a value would hand every reader garbage.
import type { Schema } from './types.ts';

const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Where Go's base64.StdEncoding.Decode (padded, newlines skipped, non-strict) reports the first error in `s`, or
 * undefined when it decodes. The offsets match Go's CorruptInputError so messages read like upstream's.
 */
export function base64ErrorOffset(s: string): number | undefined {
  const n = s.length;
  let si = 0;
  const isNewline = (c: string | undefined) => c === '\n' || c === '\r';
  while (si < n) {
    let j = 0;
    while (j < 4) {
      if (si === n) {
        if (j === 0) return undefined;
        return si - j;
      }
      const c = s[si++]!;
      if (ALPHABET[c.charCodeAt(0)] === 1) {
        j++;
        continue;
      }
      if (isNewline(c)) continue;
      if (c !== '=') return si - 1;
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < n && isNewline(s[si])) si++;
        if (si === n) return n;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      while (si < n && isNewline(s[si])) si++;
      return si < n ? si : undefined;
    }
  }
  return undefined;
}

/** The first string under a `format: byte` schema that is not base64, as a field path and Go's offset. */
export function firstInvalidBytes(
  v: unknown,
  s: Schema | undefined,
  path = '',
): { path: string; offset: number } | undefined {
  if (!s || v === null || v === undefined) return undefined;
  if (typeof v === 'string') {
    if (s.format !== 'byte') return undefined;
    const offset = base64ErrorOffset(v);
    return offset === undefined ? undefined : { path, offset };
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = firstInvalidBytes(v[i], s.items, `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  }
  if (typeof v !== 'object') return undefined;
  for (const [k, child] of Object.entries(v)) {
    const prop = s.properties?.[k];
    const sub = prop ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    const bad = firstInvalidBytes(child, sub, prop ? (path ? `${path}.${k}` : k) : `${path}[${k}]`);
    if (bad) return bad;
  }
  return undefined;
}
