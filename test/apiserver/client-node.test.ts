// @kubernetes/client-node against the embedded API server: typed and generic clients, raw watches, and an
// informer that survives a forced 410 (compacted history) and a server restart on the same data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { eventually, widgetCrd } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function config(api: ApiServer): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(api.kubeconfig());
  return kc;
}

const cm = (name: string): k8s.V1ConfigMap => ({ metadata: { name }, data: { v: name } });

describe('client-node', () => {
  it('typed and generic clients: create, list, read, replace, SSA patch, 404 as ApiException', async () => {
    const api = await startApiServer({ crds: [widgetCrd()] });
    try {
      const kc = config(api);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('a') });
      expect(created.metadata?.uid).toBeTruthy();
      const list = await core.listNamespacedConfigMap({ namespace: 'default' });
      expect(list.items.map((i) => i.metadata?.name)).toEqual(['a']);
      const replaced = await core.replaceNamespacedConfigMap({
        name: 'a',
        namespace: 'default',
        body: { ...created, data: { v: 'b' } },
      });
      expect(replaced.data).toEqual({ v: 'b' });
      const err = await core
        .readNamespacedConfigMap({ name: 'missing', namespace: 'default' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(k8s.ApiException);
      expect((err as k8s.ApiException<string>).code).toBe(404);
      expect(JSON.parse((err as k8s.ApiException<string>).body).reason).toBe('NotFound');

      const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
      const w = {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'default' },
        spec: { replicas: 2 },
      };
      await objects.patch(w, undefined, undefined, 'client-node-test', true, k8s.PatchStrategy.ServerSideApply);
      const read = await objects.read<typeof w & k8s.KubernetesObject>({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'default' },
      });
      expect(read.spec.replicas).toBe(2);
      expect(read.metadata?.managedFields?.[0]?.manager).toBe('client-node-test');
      const widgets = await objects.list('example.com/v1', 'Widget', 'default');
      expect(widgets.items).toHaveLength(1);
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
    } finally {
      await api.stop();
    }
  });

  it('Watch delivers events and BOOKMARKs; a compacted resourceVersion gives an ERROR 410', async () => {
    const api = await startApiServer({ bookmarkIntervalMs: 100 });
    try {
      const kc = config(api);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const first = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('w1') });
      const seen: string[] = [];
      const watch = new k8s.Watch(kc);
      const ctl = await watch.watch(
        '/api/v1/namespaces/default/configmaps',
        { allowWatchBookmarks: true, resourceVersion: '0' },
        (type, obj: k8s.V1ConfigMap) => seen.push(`${type} ${obj.metadata?.name ?? ''}`),
        () => {},
      );
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('w2') });
      await eventually('events', async () => seen.includes('ADDED w2') && seen.some((s) => s.startsWith('BOOKMARK')));
      expect(seen[0]).toBe('ADDED w1');
      ctl.abort();

      api.compactHistory();
      const errors: Array<{ code?: number; reason?: string }> = [];
      let doneCalled = false;
      await watch.watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: first.metadata?.resourceVersion },
        (type, obj: { code?: number; reason?: string }) => {
          if (type === 'ERROR') errors.push(obj);
        },
        () => {
          doneCalled = true;
        },
      );
      await eventually('410 then done', async () => doneCalled);
      expect(errors).toEqual([expect.objectContaining({ code: 410, reason: 'Expired' })]);
    } finally {
      await api.stop();
    }
  });

  it('an informer relists after a forced 410 and resumes after a restart on the same data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capi-fn-informer-'));
    dirs.push(dataDir);
    let api = await startApiServer({ dataDir });
    const port = api.port;
    const kc = config(api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    let restarting = false;
    informer.on('error', () => {
      if (restarting) return;
      restarting = true;
      setTimeout(() => {
        restarting = false;
        void informer.start();
      }, 100);
    });
    const names = () =>
      informer
        .list('default')
        .map((o) => o.metadata?.name)
        .sort();
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('before') });
      await informer.start();
      expect(names()).toEqual(['before']);

      // Stop watching, let history move on elsewhere and compact it, then resume from the stale version.
      await informer.stop();
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('while-stopped') });
      await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'bump' } } });
      api.compactHistory();
      await informer.start();
      await eventually('relisted after 410', async () => names().includes('while-stopped'));
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('after-410') });
      await eventually('watching again', async () => names().includes('after-410'));

      await api.stop();
      api = await startApiServer({ dataDir, port });
      const core2 = config(api).makeApiClient(k8s.CoreV1Api);
      await core2.createNamespacedConfigMap({ namespace: 'default', body: cm('after-restart') });
      await core2.deleteNamespacedConfigMap({ name: 'before', namespace: 'default' });
      await eventually(
        'resumed after restart',
        async () => names().includes('after-restart') && !names().includes('before'),
        30_000,
      );
      expect(names()).toEqual(['after-410', 'after-restart', 'while-stopped']);
    } finally {
      await informer.stop();
      await api.stop();
    }
  });
});
