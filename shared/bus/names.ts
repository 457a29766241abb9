// Deterministic cloud resource names derived from handler names. Each platform has its own alphabet
// and length limit; a name that must be shortened keeps a hash of the full name, so two handlers never
// collapse onto one queue.
import { createHash } from 'node:crypto';

export interface NameRules {
  maxLength: number;
  /** Characters outside this class are replaced by `replacement`. */
  invalid: RegExp;
  replacement: string;
  lowercase?: boolean;
  /** Collapse runs of `replacement` (Azure queues forbid consecutive hyphens). */
  collapse?: boolean;
  /** Trim `replacement` and other non-alphanumerics from both ends. */
  trimEnds?: boolean;
  minLength?: number;
}

export function shortHash(s: string, length = 8): string {
  return createHash('sha256').update(s).digest('hex').slice(0, length);
}

export function boundedName(full: string, rules: NameRules): string {
  let s = rules.lowercase ? full.toLowerCase() : full;
  s = s.replace(rules.invalid, rules.replacement);
  if (rules.collapse && rules.replacement) {
    const r = rules.replacement.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    s = s.replace(new RegExp(`(?:${r}){2,}`, 'g'), rules.replacement);
  }
  if (rules.trimEnds) s = s.replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');
  const folded = rules.lowercase ? full.toLowerCase() : full;
  const min = rules.minLength ?? 1;
  if (s === folded && s.length <= rules.maxLength && s.length >= min) return s;
  // Sanitising lost information (or the name is too long/short): add a hash of the original so that
  // distinct inputs stay distinct. Case folding alone is not treated as a loss.
  const hash = shortHash(full);
  const sep = rules.replacement || '';
  const room = rules.maxLength - hash.length - sep.length;
  let head = s.slice(0, Math.max(0, room));
  if (rules.trimEnds) head = head.replace(/[^a-zA-Z0-9]+$/g, '');
  return head ? `${head}${sep}${hash}` : hash;
}
