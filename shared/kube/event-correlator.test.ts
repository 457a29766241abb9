import { describe, expect, it } from 'vitest';
import {
  AGGREGATE_MAX_EVENTS,
  AGGREGATE_WINDOW_MS,
  COMBINED_PREFIX,
  clampNote,
  correlate,
  markWritten,
  NOTE_MAX_BYTES,
  newCorrelatorState,
  SERIES_FLUSH_MS,
  SPAM_BURST,
  SPAM_REFILL_MS,
} from './event-correlator.ts';

const base = {
  kind: 'MachineSet',
  namespace: 'ns',
  name: 'workers',
  uid: 'u-1',
  type: 'Normal',
  reason: 'SuccessfulCreate',
  component: 'capi-fn-machineset',
};
const T0 = 1_800_000_000_000;

/** Records like the writer does: every create/add succeeds. */
function occur(state = newCorrelatorState(), message = 'Created machine "a"', at = T0) {
  const d = correlate(state, { ...base, message }, at);
  if (d.action === 'create' || d.action === 'add') markWritten(state, d.key, at);
  return d;
}

describe('the event correlator', () => {
  it('the same event again: created once, a series on its second occurrence, then at most every flush interval', () => {
    const s = newCorrelatorState();
    const first = occur(s);
    expect(first).toMatchObject({ action: 'create' });
    expect(occur(s, undefined, T0 + 1)).toMatchObject({
      action: 'add',
      increment: 1,
      name: (first as { name: string }).name,
    });
    for (let i = 2; i < 50; i++) expect(occur(s, undefined, T0 + i).action).toBe('hold');
    // 48 held occurrences are told at once with the next one after the interval.
    expect(occur(s, undefined, T0 + SERIES_FLUSH_MS + 1)).toMatchObject({ action: 'add', increment: 49 });
  });

  it('a write that failed is not lost: the next occurrence carries it', () => {
    const s = newCorrelatorState();
    const first = correlate(s, { ...base, message: 'm' }, T0);
    expect(first.action).toBe('create');
    expect(correlate(s, { ...base, message: 'm' }, T0 + 1)).toMatchObject({ action: 'add', increment: 2 });
  });

  it('names are client-go’s, <object>.<unix nanoseconds in hex>, so listing by name lists in time order', () => {
    const s = newCorrelatorState();
    const a = occur(s, 'first', T0) as { name: string };
    const b = occur(s, 'second', T0) as { name: string };
    const c = occur(s, 'third', T0 + 1) as { name: string };
    expect(a.name).toBe(`workers.${(BigInt(T0) * 1_000_000n).toString(16)}`);
    expect([c.name, b.name, a.name].sort()).toEqual([a.name, b.name, c.name]);
    expect(new Set([a.name, b.name, c.name]).size).toBe(3);
    // The series of an Event keeps its name.
    expect(occur(s, 'first', T0 + 2)).toMatchObject({ action: 'add', name: a.name });
  });

  it('more than 10 different messages for one object and reason within 10 minutes are combined into one Event', () => {
    const s = newCorrelatorState();
    const names = new Set<string>();
    for (let i = 0; i < AGGREGATE_MAX_EVENTS; i++) {
      const d = occur(s, `Created machine "m-${i}"`, T0 + i);
      expect(d.action).toBe('create');
      names.add((d as { name: string }).name);
    }
    expect(names.size).toBe(AGGREGATE_MAX_EVENTS);
    const combined = occur(s, 'Created machine "m-10"', T0 + 20);
    expect(combined).toMatchObject({ action: 'create', note: `${COMBINED_PREFIX}Created machine "m-10"` });
    expect(occur(s, 'Created machine "m-11"', T0 + 21)).toMatchObject({
      action: 'add',
      name: (combined as { name: string }).name,
      note: `${COMBINED_PREFIX}Created machine "m-11"`,
    });
    // A message seen before the limit keeps its own Event; another reason is counted apart.
    expect(occur(s, 'Created machine "m-3"', T0 + 22)).toMatchObject({ action: 'add' });
    expect(correlate(s, { ...base, reason: 'SuccessfulDelete', message: 'x' }, T0 + 23).action).toBe('create');
    // After the window, messages stand on their own again.
    expect(occur(s, 'Created machine "m-12"', T0 + AGGREGATE_WINDOW_MS + 30)).toMatchObject({
      note: 'Created machine "m-12"',
    });
  });

  it('a retry loop with changing messages writes 12 times in 200 attempts: 10 Events, the combined one, its series', () => {
    const s = newCorrelatorState();
    const actions = Array.from({ length: 200 }, (_, i) => occur(s, `attempt ${i} failed`, T0 + i).action);
    expect(actions.filter((a) => a === 'create').length).toBe(AGGREGATE_MAX_EVENTS + 1);
    expect(actions.filter((a) => a === 'add').length).toBe(1);
    expect(actions.filter((a) => a === 'hold').length).toBe(200 - AGGREGATE_MAX_EVENTS - 2);
  });

  it('past aggregation, each object has a budget: 25 writes, then one per 5 minutes', () => {
    const s = newCorrelatorState();
    const step = (i: number, at: number) => {
      const d = correlate(s, { ...base, reason: `Reason${i}`, message: 'm' }, at);
      if (d.action === 'create' || d.action === 'add') markWritten(s, d.key, at);
      return d.action;
    };
    const actions = Array.from({ length: 100 }, (_, i) => step(i, T0 + i));
    expect(actions.filter((a) => a === 'create').length).toBe(SPAM_BURST);
    expect(actions.filter((a) => a === 'drop').length).toBe(100 - SPAM_BURST);
    expect(step(100, T0 + 300)).toBe('drop');
    expect(step(101, T0 + 300 + SPAM_REFILL_MS)).toBe('create');
    expect(step(102, T0 + 301 + SPAM_REFILL_MS)).toBe('drop');
    // Another object has its own budget.
    expect(correlate(s, { ...base, name: 'other', uid: 'u-2', message: 'm' }, T0 + 301).action).toBe('create');
  });

  it('notes over 1 KiB are cut on a character boundary', () => {
    const long = 'é'.repeat(2000);
    const note = clampNote(long);
    expect(Buffer.byteLength(note)).toBeLessThanOrEqual(NOTE_MAX_BYTES);
    expect(note.endsWith('…')).toBe(true);
    expect(clampNote('short')).toBe('short');
  });
});
