// The runtime's decisions per delivery, without a network: handlers here touch no API.
import { describe, expect, it } from 'vitest';
import { newResourceEvent, type ObjectRef, type ResourceEvent } from '../events/resource-event.ts';
import { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import type { Transport } from '../kube/transport.ts';
import { dispatch } from './dispatch.ts';
import { RequeueError, TerminalError } from './errors.ts';
import { defineHandler, type HandlerDefinition, subscriptionOf } from './handler.ts';

const offline: Transport = {
  server: 'offline',
  namespace: 'default',
  request: () => Promise.reject(new Error('no API in this test')),
  stream: () => Promise.reject(new Error('no API in this test')),
};
const kube = new KubeClient(offline);

const ms: ObjectRef = {
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'MachineSet',
  namespace: 'ns',
  name: 'ms1',
  uid: 'u1',
};
const machineEvent = (owner?: string): ResourceEvent =>
  newResourceEvent({
    type: 'io.capifn.resource.modified',
    source: 'test',
    ref: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', namespace: 'ns', name: 'm1' },
    object: {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Machine',
      metadata: {
        name: 'm1',
        namespace: 'ns',
        ...(owner
          ? {
              ownerReferences: [
                {
                  apiVersion: 'cluster.x-k8s.io/v1beta1',
                  kind: 'MachineSet',
                  name: owner,
                  uid: 'u1',
                  controller: true,
                },
              ],
            }
          : {}),
      },
    },
  });

function handler(reconcile: HandlerDefinition['reconcile']): HandlerDefinition {
  return defineHandler<unknown>({
    name: 'machineset',
    reconciles: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' },
    watches: [
      { group: 'cluster.x-k8s.io', kind: 'MachineSet', statusChanges: false },
      {
        group: 'cluster.x-k8s.io',
        kind: 'Machine',
        map: (ev) => {
          const o = (ev.data.object as { metadata: { ownerReferences?: Array<{ name: string }> } } | undefined)
            ?.metadata.ownerReferences?.[0];
          return o ? [{ ...ms, name: o.name }] : [];
        },
      },
    ],
    reconcile,
  });
}

describe('dispatch', () => {
  it('drops a metadata-only modification of a kind watched with metadataChanges false (a widened filter let it through)', async () => {
    let reconciled = 0;
    const h = defineHandler<unknown>({
      name: 'machine',
      reconciles: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' },
      watches: [{ group: 'cluster.x-k8s.io', kind: 'Machine', metadataChanges: false }],
      reconcile: async () => {
        reconciled++;
        return undefined;
      },
    });
    const ev = (metaOnly: boolean, type: ResourceEvent['type'] = 'io.capifn.resource.modified') =>
      newResourceEvent({ type, source: 't', ref: { ...ms, kind: 'Machine', name: 'm1' }, metaOnly });
    expect(await dispatch(h, ev(true), { attempt: 1 }, { kube })).toEqual({ status: 'done' });
    expect(reconciled).toBe(0);
    expect(await dispatch(h, ev(false), { attempt: 1 }, { kube })).toEqual({ status: 'done' });
    expect(await dispatch(h, ev(true, 'io.capifn.resource.resync'), { attempt: 1 }, { kube })).toEqual({
      status: 'done',
    });
    expect(reconciled).toBe(2);
    expect(subscriptionOf(h).kinds[0]!.metadataChanges).toBe(false);
  });

  it('drops an event its bus let through that the watch’s `whenExists` skips, without calling map (no API call)', async () => {
    let mapped = 0;
    let reconciled = 0;
    const h = defineHandler<unknown>({
      name: 'machinehealthcheck',
      reconciles: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineHealthCheck' },
      watches: [
        {
          group: 'cluster.x-k8s.io',
          kind: 'Machine',
          whenExists: { group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck' },
          map: () => {
            mapped++;
            return [ms];
          },
        },
      ],
      reconcile: async () => {
        reconciled++;
        return undefined;
      },
    });
    const flagged = { ...machineEvent(), capifnnonemachinehea: 'true' };
    expect(await dispatch(h, flagged, { attempt: 1 }, { kube })).toEqual({ status: 'done' });
    expect([mapped, reconciled]).toEqual([0, 0]);
    // Unflagged (the bridge did not know, or one exists): mapped and reconciled.
    expect(await dispatch(h, machineEvent(), { attempt: 1 }, { kube })).toEqual({ status: 'done' });
    expect([mapped, reconciled]).toEqual([1, 1]);
    expect(subscriptionOf(h).kinds[0]!.whenExists).toEqual({ group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck' });
  });

  it('dead-letters a malformed event with a reason naming the fields, never calling the handler', async () => {
    let called = false;
    const r = await dispatch(
      handler(async () => {
        called = true;
        return undefined;
      }),
      { specversion: '1.0', type: 'nope', data: {} },
      { attempt: 1 },
      { kube },
    );
    expect(called).toBe(false);
    expect(r.status).toBe('dead-letter');
    expect(r.status === 'dead-letter' && r.reason).toMatch(/malformed capi-fn event: .*type.*data\.ref/);
  });

  it('maps an event to its owner and reconciles that object', async () => {
    const seen: ObjectRef[] = [];
    const r = await dispatch(
      handler(async (ref) => {
        seen.push(ref);
        return undefined;
      }),
      machineEvent('ms1'),
      { attempt: 1 },
      { kube },
    );
    expect(r).toEqual({ status: 'done' });
    expect(seen).toEqual([ms]);
  });

  it('ignores events that map to nothing and status-only changes of kinds that do not care', async () => {
    let calls = 0;
    const h = handler(async () => {
      calls++;
      return undefined;
    });
    expect(await dispatch(h, machineEvent(), { attempt: 1 }, { kube })).toEqual({ status: 'done' });
    const statusOnly = newResourceEvent({
      type: 'io.capifn.resource.modified',
      source: 't',
      ref: ms,
      statusOnly: true,
    });
    expect(await dispatch(h, statusOnly, { attempt: 1 }, { kube })).toEqual({ status: 'done' });
    expect(calls).toBe(0);
    expect(subscriptionOf(h).statusChanges).toBe(true);
  });

  it('turns requeueAfter into a targeted delayed event', async () => {
    const requeued: Array<{ ev: ResourceEvent; delay: number }> = [];
    const r = await dispatch(
      handler(async () => ({ requeueAfter: 15_000 })),
      newResourceEvent({ type: 'io.capifn.resource.added', source: 't', ref: ms }),
      { attempt: 1 },
      {
        kube,
        requeue: async (ev, delay) => void requeued.push({ ev, delay }),
      },
    );
    expect(r).toEqual({ status: 'done' });
    expect(requeued).toHaveLength(1);
    expect(requeued[0]!.delay).toBe(15_000);
    expect(requeued[0]!.ev.capifnhandler).toBe('machineset');
    expect(requeued[0]!.ev.type).toBe('io.capifn.resource.resync');
    expect(requeued[0]!.ev.data.ref).toEqual(ms);
  });

  it('treats a RequeueError as waiting, not failing', async () => {
    const requeued: number[] = [];
    const r = await dispatch(
      handler(async () => Promise.reject(new RequeueError('instance pending', 2_000))),
      newResourceEvent({ type: 'io.capifn.resource.added', source: 't', ref: ms }),
      { attempt: 1 },
      {
        kube,
        requeue: async (_ev, d) => void requeued.push(d),
      },
    );
    expect(r).toEqual({ status: 'done' });
    expect(requeued).toEqual([2_000]);
  });

  it('retries ordinary errors with growing backoff, conflicts quickly, and dead-letters after the bound', async () => {
    const ev = newResourceEvent({ type: 'io.capifn.resource.added', source: 't', ref: ms });
    const boom = handler(async () => Promise.reject(new Error('cloud said no')));
    const r1 = await dispatch(boom, ev, { attempt: 1 }, { kube, maxAttempts: 3 });
    const r2 = await dispatch(boom, ev, { attempt: 2 }, { kube, maxAttempts: 3 });
    expect(r1.status).toBe('retry');
    expect(r2.status === 'retry' && r1.status === 'retry' && r2.delayMs! > 0 && r1.delayMs! <= 1_000).toBe(true);
    const r3 = await dispatch(boom, ev, { attempt: 3 }, { kube, maxAttempts: 3 });
    expect(r3.status).toBe('dead-letter');
    expect(r3.status === 'dead-letter' && r3.reason).toMatch(
      /gave up after 3 attempts while reconciling: Error: cloud said no/,
    );

    const conflict = handler(async () =>
      Promise.reject(
        new KubeError({
          code: 409,
          reason: 'Conflict',
          message: 'the object has been modified',
          method: 'PUT',
          path: '/x',
        }),
      ),
    );
    const rc = await dispatch(conflict, ev, { attempt: 1 }, { kube });
    expect(rc.status === 'retry' && rc.delayMs! <= 2_000).toBe(true);
  });

  it('dead-letters a terminal error at once', async () => {
    const r = await dispatch(
      handler(async () => Promise.reject(new TerminalError('spec.template is missing'))),
      newResourceEvent({ type: 'io.capifn.resource.added', source: 't', ref: ms }),
      { attempt: 1 },
      { kube },
    );
    expect(r).toEqual({
      status: 'dead-letter',
      reason: 'terminal error while reconciling: TerminalError: spec.template is missing',
    });
  });

  it('runs only the targeted handler for a targeted event, on the ref itself', async () => {
    const seen: ObjectRef[] = [];
    const targeted = newResourceEvent({
      type: 'io.capifn.resource.resync',
      source: 't',
      ref: ms,
      targetHandler: 'machineset',
    });
    await dispatch(
      handler(async (ref) => {
        seen.push(ref);
        return undefined;
      }),
      targeted,
      { attempt: 1 },
      { kube },
    );
    const other = newResourceEvent({
      type: 'io.capifn.resource.resync',
      source: 't',
      ref: ms,
      targetHandler: 'machine',
    });
    await dispatch(
      handler(async (ref) => {
        seen.push(ref);
        return undefined;
      }),
      other,
      { attempt: 1 },
      { kube },
    );
    expect(seen).toEqual([ms]);
  });
});
