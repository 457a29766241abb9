// A data folder from before webhook tokens: its configurations point at `/validate` with no token and it has no
// token Secret. `capi-fn up` on it must still start (the seed's FeatureGate write goes through the validating
// webhook) and leave the configurations on a token the webhook accepts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_CONFIGURATION_NAME } from '../../functions/operator/webhook-config.ts';
import { acceptedTokens, WEBHOOK_TOKEN_SECRET } from '../../functions/webhooks/token.ts';
import { startApiServer } from '../../local/apiserver/index.ts';
import { connectionFor, startEmbedded } from '../../local/embedded/system.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import { eventually, tempDir } from '../support/env.ts';

type Config = KubeObject & { webhooks: Array<{ clientConfig: { url: string } }> };
const KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const SECRET_KEY = { apiVersion: 'v1', kind: 'Secret', ...WEBHOOK_TOKEN_SECRET };
const configKey = (kind: string) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind,
  name: WEBHOOK_CONFIGURATION_NAME,
});

describe('the embedded default on a data folder from before webhook tokens', () => {
  it('starts, and re-registers the webhooks with a token the webhook accepts', async () => {
    const dir = tempDir('capi-fn-token-upgrade-');
    const first = await startEmbedded({ dataDir: dir, port: 0, platform: 'local', sample: false });
    try {
      await eventually('the operator registered its webhooks', async () =>
        Boolean(await first.kube.find(configKey('ValidatingWebhookConfiguration'))),
      );
    } finally {
      await first.stop();
    }

    // Turn the folder into one an older capi-fn left: token-less URLs, no Secret.
    const api = await startApiServer({ dataDir: join(dir, 'apiserver') });
    try {
      const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
      for (const kind of KINDS) {
        const c = (await kube.find<Config>(configKey(kind)))!;
        for (const w of c.webhooks) {
          const u = new URL(w.clientConfig.url);
          w.clientConfig.url = `${u.origin}/${u.pathname.split('/').at(-1)}`;
        }
        await kube.update(c);
      }
      await kube.delete(SECRET_KEY);
    } finally {
      await api.stop();
    }

    const second = await startEmbedded({ dataDir: dir, port: 0, platform: 'local', sample: false });
    try {
      const tokens = acceptedTokens(await second.kube.find<KubeObject & { data?: Record<string, string> }>(SECRET_KEY));
      expect(tokens).toHaveLength(1);
      for (const kind of KINDS) {
        const c = (await second.kube.find<Config>(configKey(kind)))!;
        for (const w of c.webhooks)
          expect(w.clientConfig.url).toMatch(new RegExp(`^${second.webhook.url}/${tokens[0]}/(validate|mutate)$`));
      }
      // Admission goes through the webhook (a denial by name, not "failed calling webhook").
      const err = await second.kube
        .create({
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'MachineSet',
          metadata: { name: 'bad', namespace: 'openshift-cluster-api' },
          spec: {
            clusterName: second.seed.infrastructureName,
            selector: { matchLabels: { a: 'b' } },
            template: {
              metadata: { labels: { a: 'c' } },
              spec: {
                clusterName: second.seed.infrastructureName,
                bootstrap: { dataSecretName: 'worker-user-data' },
                infrastructureRef: {
                  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
                  kind: 'LocalMachineTemplate',
                  name: 'w',
                },
              },
            },
          },
        })
        .then(
          () => 'admitted',
          (e: Error) => e.message,
        );
      expect(err).toMatch(/admission webhook "validate\.cluster-api\.capi-fn\.io" denied the request/);
    } finally {
      await second.stop();
    }
  }, 180_000);
});
