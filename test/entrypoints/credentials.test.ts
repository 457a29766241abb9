// A deployed function's kubeconfig from AWS Secrets Manager (on moto), read once at cold start; a secret it
// cannot read fails with a message naming the secret and never its value.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../../shared/entrypoints/aws-secrets.ts';
import { type ApiServer, kubeconfigYaml, startApiServer } from '../../local/apiserver/index.ts';
import { functionEnv, setFunctionEnv } from '../../shared/entrypoints/deps.ts';
import { type Moto, motoEnv, startMoto } from '../support/moto.ts';
import { hasPeer } from '../support/peers.ts';

describe.skipIf(!hasPeer('moto_server'))('function credentials from Secrets Manager', () => {
  let moto: Moto;
  let api: ApiServer;
  let saved: NodeJS.ProcessEnv;
  beforeAll(async () => {
    saved = { ...process.env };
    moto = await startMoto();
    Object.assign(process.env, motoEnv(moto));
    api = await startApiServer();
  });
  afterEach(() => setFunctionEnv(undefined));
  afterAll(async () => {
    process.env = saved;
    await api?.stop();
    await moto?.stop();
  });

  it('reads the kubeconfig from the secret the function names, and talks to the cluster with it', async () => {
    const sm = new SecretsManagerClient({});
    const kubeconfig = kubeconfigYaml(api.url, api.caPem, api.token);
    await sm.send(new CreateSecretCommand({ Name: 'capi-fn/machine/kubeconfig', SecretString: kubeconfig }));
    sm.destroy();
    const env = functionEnv({ CAPI_FN_KUBECONFIG_SECRET: 'capi-fn/machine/kubeconfig' });
    const ns = await env.kube.list({ apiVersion: 'v1', kind: 'Namespace' });
    expect(ns.items.map((n) => n.metadata.name)).toContain('default');
    expect(env.kube.transport.server).toBe(api.url);
  });

  it('a secret that does not exist fails each request with its name, and nothing is cached', async () => {
    const env = functionEnv({ CAPI_FN_KUBECONFIG_SECRET: 'capi-fn/nope/kubeconfig' });
    await expect(env.kube.list({ apiVersion: 'v1', kind: 'Namespace' })).rejects.toThrow(
      /cannot read Secrets Manager secret capi-fn\/nope\/kubeconfig \(CAPI_FN_KUBECONFIG_SECRET\): ResourceNotFoundException/,
    );
    await expect(env.kube.list({ apiVersion: 'v1', kind: 'Namespace' })).rejects.toThrow(/capi-fn\/nope\/kubeconfig/);
  });
});
