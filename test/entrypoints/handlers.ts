// A handler for entrypoint tests: it records what it reconciled and does what the event asks
// (`data.ref.name` = "fail" → error, "requeue" → requeueAfter), touching no API.

import type { FunctionEnv } from '../../shared/entrypoints/deps.ts';
import { newResourceEvent, type ObjectRef, type ResourceEvent } from '../../shared/events/resource-event.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import type { KubeRequest, Transport } from '../../shared/kube/transport.ts';
import { defineHandler } from '../../shared/runtime/handler.ts';
import { silentLogger } from '../../shared/runtime/logger.ts';

export const reconciled: ObjectRef[] = [];

export const recordingHandler = defineHandler({
  name: 'recorder',
  reconciles: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
  watches: [{ group: 'cluster.x-k8s.io', kind: 'Machine' }],
  reconcile: async (ref) => {
    reconciled.push(ref);
    if (ref.name === 'fail') throw new Error('cloud API unavailable');
    if (ref.name === 'requeue') return { requeueAfter: 30_000 };
    return undefined;
  },
});

const offline: Transport = {
  server: 'offline',
  namespace: 'default',
  request: () => Promise.reject(new Error('no API in entrypoint tests')),
  stream: () => Promise.reject(new Error('no API in entrypoint tests')),
};
export const offlineEnv: FunctionEnv = { kube: new KubeClient(offline), log: silentLogger };

export function machineEvent(name: string, extra: Partial<ResourceEvent> = {}): ResourceEvent {
  return {
    ...newResourceEvent({
      type: 'io.capifn.resource.modified',
      source: 'test',
      ref: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', namespace: 'ns', name },
    }),
    ...extra,
  };
}

/** What a scripted API answers: a status and a JSON body. */
export type ApiAnswer = { status: number; body: unknown };

const notFound: ApiAnswer = {
  status: 404,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' },
};

/**
 * An environment whose API answers with `respond` (404 when it returns undefined) and records every
 * request as `METHOD path`; no retries, so a failure shows at once.
 */
export function scriptedEnv(respond: (req: KubeRequest) => ApiAnswer | undefined = () => undefined): {
  env: FunctionEnv;
  requests: string[];
} {
  const requests: string[] = [];
  const transport: Transport = {
    server: 'scripted',
    namespace: 'default',
    request: async (req) => {
      requests.push(`${req.method} ${req.path}`);
      const a = respond(req) ?? notFound;
      return { status: a.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(a.body) };
    },
    stream: () => Promise.reject(new Error('no watches in entrypoint tests')),
  };
  return { env: { kube: new KubeClient(transport, { maxRetries: 0 }), log: silentLogger }, requests };
}
