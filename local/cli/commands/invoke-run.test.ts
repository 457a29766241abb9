import { describe, expect, it } from 'vitest';
import { INVOKABLE } from './invoke.ts';
import { invokableHandlers } from './invoke-run.ts';

describe('invoke', () => {
  it('names in --help exactly the handlers it can run', () => {
    expect([...INVOKABLE]).toEqual(invokableHandlers());
  });
});
