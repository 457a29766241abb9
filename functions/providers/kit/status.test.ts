import { describe, expect, it } from 'vitest';
import type { CloudInstance } from './port.ts';
import { keepAfterCreate, pickInstance } from './status.ts';

const inst = (id: string, createdAt?: string, raw?: unknown): CloudInstance => ({
  id,
  providerID: `test:///${id}`,
  state: 'pending',
  nativeState: 'pending',
  addresses: [],
  owner: { machineUid: 'uid-1' },
  ...(createdAt ? { createdAt } : {}),
  ...(raw ? { raw } : {}),
});
const started = new Date('2026-12-06T10:00:00.500Z');

describe('keepAfterCreate: the instance a create keeps among the Machine’s live ones', () => {
  it('keeps an older one the cloud made first (a repeated create), as an identity lookup would', () => {
    const first = inst('i-1', '2026-12-06T10:00:00.000Z');
    const reply = inst('i-2', '2026-12-06T10:00:01.000Z');
    const r = keepAfterCreate(reply, [first, { ...reply }], started);
    expect(r.keep).toBe(first);
    expect(r.extras.map((i) => i.id)).toEqual(['i-2']);
    expect(pickInstance([first, reply]).keep!.id).toBe(r.keep.id);
  });

  it('keeps the reply itself, not its listed copy, when it is the oldest', () => {
    const reply = inst('vm-a', undefined, { operations: ['PUT vm-a'] });
    const later = inst('vm-b', '2026-12-06T10:00:02.000Z');
    const r = keepAfterCreate(reply, [inst('vm-a', '2026-12-06T10:00:01.000Z'), later], started);
    expect(r.keep).toBe(reply);
    expect(r.extras).toEqual([later]);
  });

  it('a reply not listed yet and without a time counts from when the create started', () => {
    const before = inst('s-old', '2026-12-06T09:59:59.000Z');
    expect(keepAfterCreate(inst('s-new'), [before], started).keep).toBe(before);
    const after = inst('s-other', '2026-12-06T10:00:03.000Z');
    const reply = inst('s-new');
    expect(keepAfterCreate(reply, [after], started)).toEqual({ keep: reply, extras: [after] });
  });

  it('a listed instance without a time never displaces the reply (vSphere: a clone listed by name, replied by task)', () => {
    const reply = inst('clone:task-99', undefined, { task: { value: 'task-99' } });
    const byName = inst('clone:a-machine', undefined, { cloning: 'a-machine' });
    const r = keepAfterCreate(reply, [byName], started);
    expect(r.keep).toBe(reply);
    expect(r.extras).toEqual([byName]);
  });
});
