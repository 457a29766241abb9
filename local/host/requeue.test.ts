import { describe, expect, it } from 'vitest';
import { newResourceEvent } from '../../shared/events/resource-event.ts';
import { RequeueCoalescer } from './requeue.ts';

const ev = () =>
  newResourceEvent({
    type: 'io.capifn.resource.resync',
    source: 'test',
    ref: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet', namespace: 'ns', name: 'ms' },
    targetHandler: 'machineset',
  });

describe('RequeueCoalescer', () => {
  it('publishes once for requeues an earlier pending one covers, and again for an earlier one', async () => {
    const published: number[] = [];
    const c = new RequeueCoalescer(
      async (_e, d) => {
        published.push(d);
      },
      () => 0,
    );
    await c.requeue(ev(), 1000);
    await c.requeue(ev(), 2000);
    await c.requeue(ev(), 500);
    expect(published).toEqual([1000, 500]);
  });

  it('covers nobody with a publish that failed, and fails the callers waiting on it', async () => {
    const published: number[] = [];
    let fail: ((e: Error) => void) | undefined;
    let calls = 0;
    const c = new RequeueCoalescer(
      (_e, d) => {
        calls++;
        if (calls === 1) return new Promise<void>((_r, reject) => (fail = reject));
        published.push(d);
        return Promise.resolve();
      },
      () => 0,
    );
    const first = c.requeue(ev(), 1000);
    // Covered by the first, still in flight: it shares its outcome.
    const second = c.requeue(ev(), 1000);
    fail!(new Error('bus down'));
    await expect(first).rejects.toThrow('bus down');
    await expect(second).rejects.toThrow('bus down');
    // The retry publishes: nothing is pending any more.
    await c.requeue(ev(), 1000);
    expect(published).toEqual([1000]);
  });
});
