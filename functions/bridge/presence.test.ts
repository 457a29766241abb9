import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/api/meta.ts';
import { Presence } from './presence.ts';

const obj = (uid: string, namespace?: string): KubeObject => ({
  metadata: { uid, name: uid, ...(namespace ? { namespace } : {}) },
});

describe('Presence', () => {
  it('says “none” only after a LIST, per namespace, and anywhere for a cluster-scoped event', () => {
    const p = new Presence();
    expect(p.none('a')).toBe(false);
    expect(p.none(undefined)).toBe(false);
    p.replace([obj('1', 'a')]);
    expect(p.none('a')).toBe(false);
    expect(p.none('b')).toBe(true);
    expect(p.none(undefined)).toBe(false);
    p.remove(obj('1', 'a'));
    expect(p.none('a')).toBe(true);
    expect(p.none(undefined)).toBe(true);
    // Idempotent: the same object added twice (a MODIFIED after the ADDED) is one object.
    p.add(obj('2', 'b'));
    p.add(obj('2', 'b'));
    p.remove(obj('2', 'b'));
    expect(p.none('b')).toBe(true);
    // A cluster-scoped gate object counts in every namespace.
    p.add(obj('3'));
    expect(p.none('a')).toBe(false);
    p.replace([]);
    expect(p.none('a')).toBe(true);
  });
  it('in deleting mode counts only objects being deleted, until they are gone; an older event without the mark changes nothing', () => {
    const p = new Presence({ deleting: true });
    const deleting = (uid: string, namespace: string): KubeObject => ({
      metadata: { uid, name: uid, namespace, deletionTimestamp: '2026-12-05T00:00:00Z' },
    });
    p.replace([obj('1', 'a'), deleting('2', 'b')]);
    expect(p.none('a')).toBe(true);
    expect(p.none('b')).toBe(false);
    p.add(deleting('1', 'a'));
    expect(p.none('a')).toBe(false);
    // A replayed event from before the deletion (a resume from the checkpoint) does not close the gate.
    p.add(obj('1', 'a'));
    expect(p.none('a')).toBe(false);
    p.remove(obj('1', 'a'));
    expect(p.none('a')).toBe(true);
  });
  it('after a reset (the kind answered 404) nothing is known until the next LIST', () => {
    const p = new Presence();
    p.replace([]);
    expect(p.none('a')).toBe(true);
    p.reset();
    expect(p.none('a')).toBe(false);
    expect(p.complete).toBe(false);
  });
});
