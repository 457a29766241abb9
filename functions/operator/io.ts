// Small I/O helpers the operator's steps share: create-if-absent, status writes that re-read on conflict,
// Secret decoding, and turning a step's failure into an outcome without hiding the errors the runtime must retry.
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient, ObjectKey } from '../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, KubeError } from '../../shared/kube/errors.ts';
import { OPERATOR_FIELD_MANAGER } from './install.ts';
import type { StepOutcome } from './status.ts';
import type { SecretObject } from './user-data.ts';

export function keyOf(obj: KubeObject): ObjectKey {
  return {
    apiVersion: obj.apiVersion!,
    kind: obj.kind!,
    name: obj.metadata.name!,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
  };
}

/** Creates `obj` unless it exists; a concurrent creator winning is not an error. Returns the stored object. */
export async function createIfAbsent<T extends KubeObject>(
  kube: KubeClient,
  obj: T,
): Promise<{ obj: T; created: boolean }> {
  const existing = await kube.find<T>(keyOf(obj));
  if (existing) return { obj: existing, created: false };
  try {
    return { obj: await kube.create(obj, { fieldManager: OPERATOR_FIELD_MANAGER }), created: true };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const raced = await kube.find<T>(keyOf(obj));
    if (!raced) throw e;
    return { obj: raced, created: false };
  }
}

/**
 * Writes `/status` computed by `next` from a fresh read, re-reading and recomputing on 409 (DESIGN.md rule 2).
 * `next` returns undefined when nothing needs writing.
 */
export async function updateStatusFresh<T extends KubeObject>(
  kube: KubeClient,
  key: ObjectKey,
  next: (current: T) => unknown | undefined,
  attempts = 4,
): Promise<T | undefined> {
  for (let i = 0; ; i++) {
    const current = await kube.find<T>(key);
    if (!current) return undefined;
    const status = next(current);
    if (status === undefined) return current;
    try {
      return await kube.updateStatus({ ...current, status } as T, { fieldManager: OPERATOR_FIELD_MANAGER });
    } catch (e) {
      if (!isConflict(e) || i + 1 >= attempts) throw e;
    }
  }
}

export function decodeSecretData(s: SecretObject | undefined): Record<string, string> | undefined {
  if (!s) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

/**
 * Errors the runtime should retry rather than report: a conflict (re-read and recompute) and transient API
 * failures (the status write would fail too). Everything else becomes the step's Degraded message.
 */
export function mustPropagate(e: unknown): boolean {
  return e instanceof KubeError && (e.reason === 'Conflict' || e.transient);
}

export function describe(e: unknown): string {
  if (e instanceof KubeError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Runs a step, turning an ordinary failure into a `failed` outcome. */
export async function runStep(step: () => Promise<StepOutcome>): Promise<StepOutcome> {
  try {
    return await step();
  } catch (e) {
    if (mustPropagate(e)) throw e;
    return { state: 'failed', message: describe(e) };
  }
}
