// What a long-lived bridge says: a kind that is not served is reported once (not every retry) and
// again when it appears; a refused publish names the bus's reason, not just a count.
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../functions/bridge/bridge.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { PublishError } from '../../shared/bus/types.ts';
import type { ResourceEvent } from '../../shared/events/resource-event.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { HttpsTransport } from '../../shared/kube/transport.ts';
import type { Logger } from '../../shared/runtime/logger.ts';
import { allCrds, connectionFor, eventually } from '../support/env.ts';

interface Line {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

function recordingLogger(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: object, msg = '') =>
      lines.push({ level, msg, fields: { ...bindings, ...fields } });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => recordingLogger(lines, { ...bindings, ...b }),
  };
}

const MS = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };
let api: ApiServer | undefined;
let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.stop().catch(() => {});
  await api?.stop();
  bridge = undefined;
  api = undefined;
});

describe('bridge logs', () => {
  it('reports a kind that is not served once, then once more when it is served', async () => {
    api = await startApiServer({});
    const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
    const lines: Line[] = [];
    bridge = new Bridge({
      kube,
      bus: { maxEventBytes: 1 << 20, publish: async () => {} },
      kinds: [{ group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' }],
      source: 't',
      checkpoint: { namespace: 'kube-system', name: 'cp' },
      missingKindRetryMs: 20,
      log: recordingLogger(lines),
    });
    await bridge.start();
    await eventually('several retries', async () => lines.filter((l) => l.msg === 'kind still not served').length >= 3);
    const crd = allCrds().find(
      (c) => (c as { metadata: { name: string } }).metadata.name === 'machinesets.cluster.x-k8s.io',
    ) as KubeObject;
    await kube.create({ ...crd, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
    await eventually('served', async () => lines.some((l) => l.msg === 'kind is served now'));
    const info = lines.filter((l) => l.level === 'info').map((l) => l.msg);
    expect(info.filter((m) => m === 'kind not served yet (CRD missing?); waiting')).toHaveLength(1);
    expect(info.filter((m) => m === 'kind is served now')).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'kind is served now')!.fields).toMatchObject({
      watch: 'MachineSet.cluster.x-k8s.io',
      waitedMs: expect.any(Number),
    });
  });

  it('names the reasons the bus gave for refusing a publish', async () => {
    api = await startApiServer({ crds: allCrds() });
    const kube = new KubeClient(new HttpsTransport(connectionFor(api)));
    const lines: Line[] = [];
    bridge = new Bridge({
      kube,
      bus: {
        maxEventBytes: 1 << 20,
        publish: async (events: ResourceEvent[]) => {
          throw new PublishError(
            `${events.length} event(s) not published to capi-fn`,
            events.map((event) => ({ event, error: 'ResourceNotFoundException: Event bus capi-fn does not exist.' })),
          );
        },
      },
      kinds: [{ group: 'cluster.x-k8s.io', version: 'v1beta1', kind: 'MachineSet' }],
      source: 't',
      checkpoint: { namespace: 'kube-system', name: 'cp' },
      log: recordingLogger(lines),
    });
    await bridge.start();
    await kube.create({
      ...MS,
      metadata: { name: 'ms', namespace: 'default' },
      spec: { clusterName: 'c', replicas: 0, selector: { matchLabels: { a: 'b' } } },
    });
    const warn = await eventually('a publish warning', async () =>
      lines.find((l) => l.msg === 'publish failed; retrying'),
    );
    expect(warn.fields).toMatchObject({
      err: 'PublishError: 1 event(s) not published to capi-fn',
      reasons: ['ResourceNotFoundException: Event bus capi-fn does not exist.'],
    });
  });
});
