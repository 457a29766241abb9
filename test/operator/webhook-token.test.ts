// The webhook token end to end: the operator generates it, keeps it in a Secret the webhook reads, registers
// `<url>/<token>/validate|mutate`, and rotates it without the API server ever being refused; a caller without it
// gets 401 from the webhook server, and admission keeps working through rotation and deletion of the Secret.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOpenShiftObjects } from '../../functions/operator/index.ts';
import { WEBHOOK_CONFIGURATION_NAME } from '../../functions/operator/webhook-config.ts';
import { acceptedTokens, WEBHOOK_TOKEN_ROTATED_AT, WEBHOOK_TOKEN_SECRET } from '../../functions/webhooks/token.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { eventually } from '../support/env.ts';
import { type OperatorEnv, startOperatorEnv, summary, waitForOperator } from './support.ts';

const NS = 'openshift-cluster-api';
const CLUSTER = 'capi-fn-local';
const SECRET_KEY = { apiVersion: 'v1', kind: 'Secret', ...WEBHOOK_TOKEN_SECRET };
type TokenSecret = KubeObject & { data?: Record<string, string> };
type Config = KubeObject & { webhooks: Array<{ clientConfig: { url: string } }> };

/** An invalid MachineSet (template labels miss the selector): the validating webhook must deny it by name. */
const badMachineSet = (name: string) => ({
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'MachineSet',
  metadata: { name, namespace: NS },
  spec: {
    clusterName: CLUSTER,
    selector: { matchLabels: { set: name } },
    template: {
      metadata: { labels: { set: 'other' } },
      spec: {
        clusterName: CLUSTER,
        bootstrap: { dataSecretName: 'worker-user-data' },
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'LocalMachineTemplate',
          name: 'worker',
        },
      },
    },
  },
});

describe('the webhook token (audit 5)', () => {
  let env: OperatorEnv;
  const registeredUrls = async () => {
    const out: string[] = [];
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const c = await env.kube.find<Config>({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind,
        name: WEBHOOK_CONFIGURATION_NAME,
      });
      out.push(...(c?.webhooks ?? []).map((w) => w.clientConfig.url));
    }
    return out;
  };
  const tokens = async () => acceptedTokens(await env.kube.find<TokenSecret>(SECRET_KEY));
  /** POST straight to the webhook server, as anyone who learned its address could. */
  const post = (path: string, body: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(env.webhook!.url);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path,
          method: 'POST',
          ca: env.webhook!.caPem,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const deniedByWebhook = async (name: string) => {
    const err = await env.kube.create(badMachineSet(name)).then(
      () => undefined,
      (e: Error) => e.message,
    );
    // A refused webhook call would read "failed calling webhook"; the webhook's own denial names the rule.
    expect(err).toMatch(/admission webhook "validate\.cluster-api\.capi-fn\.io" denied the request/);
  };

  beforeAll(async () => {
    env = await startOperatorEnv({ webhooks: true });
    await seedOpenShiftObjects(env.kube, {
      platform: 'Local',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: CLUSTER,
      apiServerURL: env.api.url,
    });
    const converged = 'Available=True Progressing=False Degraded=False Upgradeable=False';
    await waitForOperator(env, converged, (c) => summary(c) === converged);
  }, 120_000);
  afterAll(() => env?.stop());

  it('the operator stores a token and registers every webhook URL with it', async () => {
    const [current] = await tokens();
    expect(current).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const urls = await registeredUrls();
    expect(urls.sort()).toEqual(
      [
        `${env.webhook!.url}/${current}/mutate`,
        `${env.webhook!.url}/${current}/validate`,
        `${env.webhook!.url}/${current}/validate`,
      ].sort(),
    );
    // The status the operator reports never carries the token.
    const co = await env.kube.find({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterOperator',
      name: 'cluster-api',
    });
    expect(JSON.stringify(co)).not.toContain(current);
    await deniedByWebhook('through-the-api-server');
  });

  it('the webhook server answers 401 to a caller without the token, with nothing about the cluster', async () => {
    const review = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u',
        kind: { group: 'config.openshift.io', version: 'v1', kind: 'Cluster' },
        operation: 'CREATE',
        object: {},
      },
    });
    for (const path of ['/validate', '/mutate?timeout=3600s', `/${'x'.repeat(43)}/validate`]) {
      const r = await post(path, review);
      expect(r.status).toBe(401);
      expect(r.body).not.toMatch(new RegExp(`${CLUSTER}|Local|${new URL(env.api.url).port}`));
    }
  });

  it('a rotation keeps the old token registered and accepted while the new one propagates', async () => {
    const [old] = await tokens();
    const secret = (await env.kube.find<TokenSecret>(SECRET_KEY))!;
    // As if the token were a day old: the operator (which watches its Secret) rotates it.
    await env.kube.update({
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: { ...secret.metadata.annotations, [WEBHOOK_TOKEN_ROTATED_AT]: '2000-01-01T00:00:00Z' },
      },
    });
    const after = await eventually('the token rotated', async () => {
      const t = await tokens();
      return t.length === 2 && t[1] === old ? t : undefined;
    });
    expect(after[0]).not.toBe(old);
    expect(new Set((await registeredUrls()).map((u) => new URL(u).pathname.split('/')[1]))).toEqual(new Set([old]));
    await deniedByWebhook('during-rotation');
    // The webhook server learns the new one (the operator registers it after the propagation window) and
    // still accepts the old one.
    await eventually('the new token accepted', async () => (await post(`/${after[0]}/validate`, '{}')).status === 400);
    expect((await post(`/${old}/validate`, '{}')).status).toBe(400);
  });

  it('a deleted Secret is recreated with a new token; the registered one stays valid while it propagates', async () => {
    const registered = new URL((await registeredUrls())[0]!).pathname.split('/')[1]!;
    await env.kube.delete(SECRET_KEY);
    const [fresh, previous] = await eventually('a new token', async () => {
      const t = await tokens();
      return t.length === 2 ? t : undefined;
    });
    expect(previous).toBe(registered);
    expect(fresh).not.toBe(registered);
    // No admission is refused meanwhile: the configurations keep the token every webhook instance knows.
    expect((await registeredUrls()).every((u) => u.includes(`/${registered}/`))).toBe(true);
    await deniedByWebhook('after-recreation');
  });
});
