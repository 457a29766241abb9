// The bridge's checkpoint under its own concurrency: every watch of a starting bridge saves its resume point at
// once. Those saves must not conflict with each other until they give up; they coalesce into few writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../functions/bridge/checkpoint.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { connectionFor } from '../support/env.ts';

describe('bridge checkpoint', () => {
  let api: ApiServer;
  let kube: KubeClient;
  beforeAll(async () => {
    api = await startApiServer({});
    kube = new KubeClient(new HttpsTransport(connectionFor(api)));
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('saves 40 watches’ positions asked for at once without a conflict error (the saves coalesce)', async () => {
    const cp = new Checkpoint(kube, { namespace: 'default', name: 'capi-fn-bridge' });
    await cp.load();
    const saves: Array<Promise<void>> = [];
    for (let i = 0; i < 40; i++) {
      cp.ack(`group.Kind${i}`, String(100 + i));
      saves.push(cp.save());
    }
    const results = await Promise.allSettled(saves);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const cm = await kube.get<
      {
        metadata: { resourceVersion?: string };
        data?: Record<string, string>;
      } & import('../../shared/api/meta.ts').KubeObject
    >({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'default',
      name: 'capi-fn-bridge',
    });
    expect(Object.keys(cm.data ?? {})).toHaveLength(40);
    expect(cp.dirty()).toBe(false);
    // A second Checkpoint (another bridge) still gets its conflict resolved by re-reading.
    const other = new Checkpoint(kube, { namespace: 'default', name: 'capi-fn-bridge' });
    await other.load();
    other.ack('group.Other', '7');
    await other.save();
    expect(
      Object.keys(
        (
          await kube.get<typeof cm>({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            namespace: 'default',
            name: 'capi-fn-bridge',
          })
        ).data ?? {},
      ),
    ).toHaveLength(41);
  });
});
