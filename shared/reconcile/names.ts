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

/** The names a machineNamingStrategy.template may use, as upstream's documentation lists them. */
const TEMPLATE_VARIABLE = /\{\{\s*\.([A-Za-z]+(?:\.[A-Za-z]+)?)\s*\}\}/g;

/**
 * A MachineSet's Machine name: its `spec.machineNamingStrategy.template` (upstream: a Go template over
 * `.cluster.name`, `.machineSet.name` and `.random`, five characters without vowels) or, without one,
 * `<machineSet>-<random>`. Above 63 characters, the first 58 plus a fresh five-character suffix, as upstream.
 * Throws naming the field for any other variable (the webhook refuses those first).
 */
export function machineNameFromTemplate(
  template: string | undefined,
  v: { cluster: string; machineSet: string },
  random = randomSuffix(),
): string {
  if (!template) return machineName(v.machineSet, random);
  const name = template.replace(TEMPLATE_VARIABLE, (_m, key: string) => {
    if (key === 'cluster.name') return v.cluster;
    if (key === 'machineSet.name') return v.machineSet;
    if (key === 'random') return random;
    throw new Error(
      `spec.machineNamingStrategy.template: {{ .${key} }} is not a variable (use .cluster.name, .machineSet.name, .random)`,
    );
  });
  return name.length > 63 ? `${name.slice(0, 58)}${randomSuffix()}` : name;
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
