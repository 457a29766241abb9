// Status-only change detection: a handler's own status write must not wake it again (DESIGN.md
// rule 1, serverless-anchors §0.5). Everything but `status`, `resourceVersion` and `managedFields`
// goes into the fingerprint, so label, annotation, finalizer, owner and deletion changes still count.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../shared/api/meta.ts';

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function nonStatusFingerprint(obj: KubeObject): string {
  const { status: _status, metadata, ...rest } = obj;
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata ?? {};
  return createHash('sha1')
    .update(stable({ ...rest, metadata: meta }))
    .digest('base64url');
}

/** Remembers the last fingerprint per object UID to classify MODIFIED events. */
export class FingerprintCache {
  private readonly byUid = new Map<string, { fp: string; stub: KubeObject }>();

  /** True only when the previous state is known and nothing outside status changed. */
  observe(obj: KubeObject): boolean {
    const uid = obj.metadata.uid;
    if (!uid) return false;
    const fp = nonStatusFingerprint(obj);
    const prev = this.byUid.get(uid);
    const { name, namespace } = obj.metadata;
    const stub: KubeObject = {
      ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
      ...(obj.kind ? { kind: obj.kind } : {}),
      metadata: { uid, ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) },
    };
    this.byUid.set(uid, { fp, stub });
    return prev?.fp === fp;
  }

  forget(uid: string | undefined): void {
    if (uid) this.byUid.delete(uid);
  }

  uids(): Set<string> {
    return new Set(this.byUid.keys());
  }

  /** Identity (apiVersion, kind, name, namespace, uid) of a remembered object. */
  stub(uid: string): KubeObject | undefined {
    return this.byUid.get(uid)?.stub;
  }

  get size(): number {
    return this.byUid.size;
  }
}
