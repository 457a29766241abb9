// The bridge's resume point, kept in the cluster (a ConfigMap it owns): per watched kind, the last
// resourceVersion whose events the bus acknowledged. Written only after acknowledgement, so a crash
// can repeat events but never lose one.
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../shared/kube/errors.ts';

export interface CheckpointRef {
  namespace: string;
  name: string;
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };

/** ConfigMap data keys allow `[-._a-zA-Z0-9]`: `cluster.x-k8s.io/Machine` becomes `cluster.x-k8s.io.Machine`. */
export function checkpointKey(group: string, kind: string, namespace?: string): string {
  // ConfigMap keys allow only [-._a-zA-Z0-9]; a namespace-scoped watch keeps a resume point per namespace.
  return `${group || 'core'}.${kind}${namespace ? `_${namespace}` : ''}`;
}

export class Checkpoint {
  private readonly kube: KubeClient;
  private readonly ref: CheckpointRef;
  private acked = new Map<string, string>();
  private written = new Map<string, string>();

  constructor(kube: KubeClient, ref: CheckpointRef) {
    this.kube = kube;
    this.ref = ref;
  }

  async load(): Promise<Map<string, string>> {
    const cm = await this.kube.find<ConfigMap>({ ...CM, ...this.ref });
    this.acked = new Map(Object.entries(cm?.data ?? {}));
    this.written = new Map(this.acked);
    return new Map(this.acked);
  }

  get(key: string): string | undefined {
    return this.acked.get(key);
  }

  /** Records that every event up to `rv` for `key` was acknowledged by the bus. */
  ack(key: string, rv: string): void {
    this.acked.set(key, rv);
  }

  /** Forgets a kind's resume point (after 410 Gone the next start must relist). */
  reset(key: string): void {
    this.acked.delete(key);
  }

  dirty(): boolean {
    if (this.acked.size !== this.written.size) return true;
    for (const [k, v] of this.acked) if (this.written.get(k) !== v) return true;
    return false;
  }

  /**
   * Persists acknowledged positions. One write at a time: every watch of a starting bridge saves its fresh resume
   * point at once, and dozens of writers of one ConfigMap would conflict with each other until they gave up (seen in
   * the packaged deployment's end-to-end run). A save asked for while one runs waits for it and writes once for all
   * who asked meanwhile.
   */
  save(): Promise<void> {
    if (!this.running) {
      this.running = this.saveOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.save();
      });
    return this.queued;
  }

  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** One write of the acknowledged positions (optimistic concurrency; on conflict re-read and write ours again). */
  private async saveOnce(): Promise<void> {
    if (!this.dirty()) return;
    const snapshot = new Map(this.acked);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cm = await this.kube.find<ConfigMap>({ ...CM, ...this.ref });
      const data = Object.fromEntries(snapshot);
      try {
        if (!cm) {
          await this.kube.create<ConfigMap>({
            ...CM,
            metadata: {
              ...this.ref,
              labels: { 'app.kubernetes.io/part-of': 'capi-fn', 'app.kubernetes.io/component': 'bridge' },
            },
            data,
          });
        } else {
          await this.kube.update<ConfigMap>({ ...cm, data });
        }
        this.written = snapshot;
        return;
      } catch (e) {
        if (isConflict(e) || isAlreadyExists(e) || isNotFound(e)) continue;
        throw e;
      }
    }
    throw new Error(`could not save bridge checkpoint ${this.ref.namespace}/${this.ref.name} after 5 conflicts`);
  }
}
