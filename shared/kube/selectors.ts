// metav1.LabelSelector: its query-string form and in-memory matching (same semantics as apimachinery).
import type { LabelSelector } from '../api/meta.ts';

/** `a=b,c in (d,e),!f` — the `labelSelector` query parameter and MachineSet `status.selector` form. */
export function selectorToString(sel: LabelSelector | undefined): string {
  if (!sel) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values.join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

/** An empty selector matches everything (as for a MachineSet, a nil selector is rejected by validation). */
export function matchesSelector(labels: Record<string, string> | undefined, sel: LabelSelector | undefined): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * The selector as an equality map (matchLabels plus single-value `In` expressions), the form CAPI
 * uses to list a MachineSet's machines; any other operator cannot be expressed and is an error.
 */
export function selectorAsMap(sel: LabelSelector): Record<string, string> {
  const out: Record<string, string> = { ...(sel.matchLabels ?? {}) };
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator !== 'In' || e.values?.length !== 1) {
      throw new Error(
        `selector expression "${e.key} ${e.operator} ${JSON.stringify(e.values ?? [])}" cannot be converted to a label map`,
      );
    }
    out[e.key] = e.values[0]!;
  }
  return out;
}
