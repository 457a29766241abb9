// Every AWS Lambda entrypoint registers the Secrets Manager reader on import: a function deployed with
// CAPI_FN_KUBECONFIG_SECRET (serverless.yml sets it on each function) must read its kubeconfig through it,
// whichever entrypoint its handler is built on. Each case loads the entrypoint into a fresh module graph, so
// no other import can have registered the reader first.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ApiServer, kubeconfigYaml, startApiServer } from '../../local/apiserver/index.ts';
import { type Moto, motoEnv, startMoto } from '../support/moto.ts';
import { hasPeer } from '../support/peers.ts';

const ENTRYPOINTS = {
  'lambda.ts': () => import('../../shared/entrypoints/lambda.ts'),
  'lambda-http.ts': () => import('../../shared/entrypoints/lambda-http.ts'),
  'lambda-schedule.ts': () => import('../../shared/entrypoints/lambda-schedule.ts'),
};
type Entrypoint = keyof typeof ENTRYPOINTS;
const NAMES = Object.keys(ENTRYPOINTS) as Entrypoint[];

/** The entrypoint alone in a fresh module graph, and the credentials and deps modules it sees. */
async function freshGraph(entrypoint: Entrypoint) {
  await ENTRYPOINTS[entrypoint]();
  const credentials = await import('../../shared/entrypoints/credentials.ts');
  const deps = await import('../../shared/entrypoints/deps.ts');
  return { credentials, deps };
}

describe('Lambda entrypoints register the Secrets Manager kubeconfig reader', () => {
  beforeEach(() => vi.resetModules());

  it.each(NAMES)('%s', async (entrypoint) => {
    const { credentials } = await freshGraph(entrypoint);
    const registered = credentials.secretReader();
    // Importing it here only returns the instance the entrypoint already loaded (same graph).
    const secrets = await import('../../shared/entrypoints/aws-secrets.ts');
    expect(registered).toBe(secrets.readSecretsManager);
  });
});

describe.skipIf(!hasPeer('moto_server'))('a Lambda entrypoint with CAPI_FN_KUBECONFIG_SECRET (moto)', () => {
  let moto: Moto;
  let api: ApiServer;
  let saved: NodeJS.ProcessEnv;
  const secretId = 'capi-fn/entrypoints/kubeconfig';
  beforeAll(async () => {
    saved = { ...process.env };
    moto = await startMoto();
    Object.assign(process.env, motoEnv(moto));
    api = await startApiServer();
    const sm = new SecretsManagerClient({});
    await sm.send(
      new CreateSecretCommand({ Name: secretId, SecretString: kubeconfigYaml(api.url, api.caPem, api.token) }),
    );
    sm.destroy();
  });
  beforeEach(() => vi.resetModules());
  afterAll(async () => {
    process.env = saved;
    await api?.stop();
    await moto?.stop();
  });

  it.each(NAMES)('%s reads the cluster with the kubeconfig from the secret', async (entrypoint) => {
    const { deps } = await freshGraph(entrypoint);
    const env = deps.functionEnv({ CAPI_FN_KUBECONFIG_SECRET: secretId });
    try {
      const ns = await env.kube.list({ apiVersion: 'v1', kind: 'Namespace' });
      expect(ns.items.map((n) => n.metadata.name)).toContain('default');
      expect(env.kube.transport.server).toBe(api.url);
    } finally {
      deps.setFunctionEnv(undefined);
    }
  });
});
