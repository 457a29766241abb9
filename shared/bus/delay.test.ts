import { describe, expect, it } from 'vitest';
import { newResourceEvent } from '../events/resource-event.ts';
import { notBeforeOf, remainingDelayMs, withNotBefore } from './delay.ts';

const ev = newResourceEvent({
  type: 'io.capifn.resource.resync',
  source: 's',
  ref: { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine', name: 'm' },
});

describe('not-before', () => {
  it('round-trips through the capifnnotbefore extension', () => {
    const at = Date.parse('2030-01-02T03:04:05.678Z');
    const d = withNotBefore(ev, at);
    expect(d.capifnnotbefore).toBe('2030-01-02T03:04:05.678Z');
    expect(notBeforeOf(d)).toBe(at);
    expect(ev.capifnnotbefore).toBeUndefined();
  });
  it('computes what is left, zero once due', () => {
    const d = withNotBefore(ev, 10_000);
    expect(remainingDelayMs(d, 9_000)).toBe(1_000);
    expect(remainingDelayMs(d, 10_000)).toBe(0);
    expect(remainingDelayMs(d, 20_000)).toBe(0);
  });
  it('treats absent or garbage values (and non-objects) as due now', () => {
    expect(remainingDelayMs(ev, 0)).toBe(0);
    expect(remainingDelayMs({ capifnnotbefore: 'tomorrow-ish' }, 0)).toBe(0);
    expect(remainingDelayMs({ capifnnotbefore: 5 }, 0)).toBe(0);
    expect(remainingDelayMs('text', 0)).toBe(0);
    expect(remainingDelayMs(null, 0)).toBe(0);
  });
});
