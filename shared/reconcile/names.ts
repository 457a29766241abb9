// Names Cluster API computes client-side (capi-core-spec.md §2.4).
import { randomInt } from 'node:crypto';

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** `<base>-<random>`; above 63 characters, the first 58 plus a fresh 5-character suffix (as upstream). */
export function machineName(base: string, suffix = randomSuffix()): string {
  const full = `${base}-${suffix}`;
  return full.length > 63 ? `${full.slice(0, 58)}${randomSuffix()}` : full;
}

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A name usable as a label value, or `hash_<base64url(fnv32a(name))>_z` as upstream does. */
export function mustFormatLabelValue(name: string): string {
  if (name.length <= 63 && LABEL_VALUE.test(name)) return name;
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(fnv32a(name));
  return `hash_${buf.toString('base64url')}_z`;
}
