// DESIGN rule 3 after a failed create, on the local provider: a definitive refusal releases the launch lease and moves
// to a fresh key; an unknown outcome keeps both, so the retry looks the instance up instead of creating another. The
// provider contract cannot show either here: this cloud deduplicates creates by Machine UID and its lease is off.
import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../../functions/providers/kit/intent.ts';
import { LocalCloud, LocalCloudError, type RunRequest } from '../../../functions/providers/local/cloud.ts';
import { localProviderHandlers } from '../../../functions/providers/local/handler.ts';
import type { KubeObject } from '../../../shared/api/meta.ts';
import { eventually, startCapiEnv } from '../../support/env.ts';
import { createAll, NS, sampleObjects } from '../../support/sample.ts';

/** One Machine whose first create meets `fail`; returns the create intent its LocalMachine ends with. */
async function firstCreateFails(fail: (c: LocalCloud, req: RunRequest) => Promise<never>) {
  let cloud: LocalCloud | undefined;
  let failed = false;
  const env = await startCapiEnv({
    providers: async (wrap, { kube }) => {
      const c = new LocalCloud({ kube, defaultBootDelayMs: 0 });
      cloud = c;
      const api = new Proxy(c, {
        get(t, p) {
          if (p === 'run')
            return async (req: RunRequest) => {
              if (failed) return t.run(req);
              failed = true;
              return fail(t, req);
            };
          const v = Reflect.get(t, p);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
      return localProviderHandlers(() => wrap(api), { badInputRetryMs: 300 });
    },
  });
  try {
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const lm = await eventually('the LocalMachine records its instance', async () => {
      const items = (
        await env.kube.listAll<KubeObject & { spec?: { providerID?: string } }>(
          { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' },
          { namespace: NS },
        )
      ).items;
      return items.length === 1 && items[0]!.spec?.providerID ? items[0]! : false;
    });
    return { intent: parseIntent(lm.metadata.annotations), instances: cloud!.all() };
  } finally {
    cloud?.close();
    await env.stop();
  }
}

describe('the launch intent after a failed create', () => {
  it('a definitive refusal releases the lease and moves to a fresh key', async () => {
    const { intent, instances } = await firstCreateFails(async () => {
      throw new LocalCloudError('InsufficientInstanceCapacity', 400, 'no capacity in local-a');
    });
    expect(intent).toMatchObject({ attempt: 2 });
    expect(instances).toHaveLength(1);
  });

  it('an unknown outcome keeps the lease and the key', async () => {
    const { intent, instances } = await firstCreateFails(async (c, req) => {
      await c.run(req);
      throw new Error('socket hang up');
    });
    expect(intent).toMatchObject({ attempt: 1 });
    expect(instances).toHaveLength(1);
  });
});
