import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { inClusterConnection, KubeconfigError, loadKubeconfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
const b64 = (s: string) => Buffer.from(s).toString('base64');

function write(name: string, doc: object): string {
  const p = join(dir, name);
  writeFileSync(p, stringify(doc));
  return p;
}

const base = (user: object, extraCluster: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Config',
  'current-context': 'c1',
  clusters: [
    {
      name: 'k',
      cluster: { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': b64('CA PEM'), ...extraCluster },
    },
  ],
  users: [{ name: 'u', user }],
  contexts: [
    { name: 'c1', context: { cluster: 'k', user: 'u', namespace: 'openshift-cluster-api' } },
    { name: 'c2', context: { cluster: 'k', user: 'u' } },
  ],
});

afterEach(() => {
  delete process.env.KUBERNETES_SERVICE_HOST;
});

describe('kubeconfig', () => {
  it('reads server, CA, namespace and a bearer token', async () => {
    const c = loadKubeconfig({ path: write('a.yaml', base({ token: 'abc' })) });
    expect(c.server).toBe('https://127.0.0.1:6443');
    expect(c.ca).toBe('CA PEM');
    expect(c.namespace).toBe('openshift-cluster-api');
    expect((await c.credentials()).headers.authorization).toBe('Bearer abc');
  });

  it('selects another context and defaults its namespace', () => {
    const c = loadKubeconfig({ path: write('b.yaml', base({ token: 'abc' })), context: 'c2' });
    expect(c.namespace).toBe('default');
  });

  it('reads a token file relative to the kubeconfig and re-reads it', async () => {
    writeFileSync(join(dir, 'tok'), 'first\n');
    const c = loadKubeconfig({ path: write('c.yaml', base({ tokenFile: 'tok' })) });
    expect((await c.credentials()).headers.authorization).toBe('Bearer first');
    writeFileSync(join(dir, 'tok'), 'second\n');
    expect((await c.credentials(true)).headers.authorization).toBe('Bearer second');
  });

  it('carries client certificates', async () => {
    const c = loadKubeconfig({
      path: write('d.yaml', base({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') })),
    });
    const cred = await c.credentials();
    expect(cred.cert).toBe('CERT');
    expect(cred.key).toBe('KEY');
  });

  it('runs exec credential plugins and caches until expiry', async () => {
    const script = join(dir, 'plugin.sh');
    const counter = join(dir, 'count');
    writeFileSync(counter, '');
    writeFileSync(
      script,
      `#!/bin/sh\necho x >> ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$TOKEN_PREFIX"'-'$(wc -l < ${counter} | tr -d ' ')'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(script, 0o755);
    const c = loadKubeconfig({
      path: write(
        'e.yaml',
        base({
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: script,
            env: [{ name: 'TOKEN_PREFIX', value: 'exec' }],
          },
        }),
      ),
    });
    expect((await c.credentials()).headers.authorization).toBe('Bearer exec-1');
    expect((await c.credentials()).headers.authorization).toBe('Bearer exec-1');
    expect((await c.credentials(true)).headers.authorization).toBe('Bearer exec-2');
  });

  it('names the missing piece', () => {
    expect(() => loadKubeconfig({ path: join(dir, 'nope.yaml') })).toThrow(KubeconfigError);
    expect(() => loadKubeconfig({ path: write('f.yaml', base({})), context: 'zzz' })).toThrow(
      /context "zzz" not found/,
    );
  });

  it('uses the mounted service account in a pod', async () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'satoken');
    writeFileSync(join(sa, 'ca.crt'), 'SA CA');
    writeFileSync(join(sa, 'namespace'), 'openshift-cluster-api');
    process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
    const c = inClusterConnection(sa);
    expect(c.server).toBe('https://10.0.0.1:443');
    expect(c.namespace).toBe('openshift-cluster-api');
    expect((await c.credentials()).headers.authorization).toBe('Bearer satoken');
  });
});
