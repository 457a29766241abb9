import { describe, expect, it } from 'vitest';
import { boundedName } from './names.ts';

const azure = {
  maxLength: 20,
  invalid: /[^a-z0-9-]/g,
  replacement: '-',
  lowercase: true,
  collapse: true,
  trimEnds: true,
  minLength: 3,
};

describe('boundedName', () => {
  it('keeps names that are already valid', () => {
    expect(boundedName('capifn-machine', azure)).toBe('capifn-machine');
  });
  it('folds case without adding a hash', () => {
    expect(boundedName('Capifn-Machine', azure)).toBe('capifn-machine');
  });
  it('sanitises lossy names and adds a hash so that distinct inputs stay distinct', () => {
    const a = boundedName('capifn-machine.set', azure);
    const b = boundedName('capifn-machine_set', azure);
    expect(a).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(20);
  });
  it('shortens long names deterministically within the limit', () => {
    const long = `capifn-${'x'.repeat(100)}`;
    const n = boundedName(long, azure);
    expect(n.length).toBeLessThanOrEqual(20);
    expect(boundedName(long, azure)).toBe(n);
    expect(boundedName(`${long}y`, azure)).not.toBe(n);
    expect(n).not.toMatch(/--|^-|-$/);
  });
  it('pads names below the minimum length', () => {
    const n = boundedName('ab', azure);
    expect(n.length).toBeGreaterThanOrEqual(3);
    expect(n.startsWith('ab-')).toBe(true);
  });
});
