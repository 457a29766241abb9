import { describe, expect, it } from 'vitest';
import { parseBusOption } from './bus-option.ts';

const files: Record<string, string> = {
  '/etc/capi-fn/bus.json': '{"kind":"pubsub","projectId":"p","topic":"capi-fn"}\n',
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};

describe('parseBusOption', () => {
  it.each([
    ['inline JSON', '{"kind":"eventbridge","busName":"capi-fn"}', { kind: 'eventbridge', busName: 'capi-fn' }],
    [
      'inline JSON with surrounding space',
      '  {"kind":"eventbridge","busName":"b"}\n',
      { kind: 'eventbridge', busName: 'b' },
    ],
    ['@file', '@/etc/capi-fn/bus.json', { kind: 'pubsub', projectId: 'p', topic: 'capi-fn' }],
    ['in-process (valid here; the command refuses it)', '{"kind":"in-process"}', { kind: 'in-process' }],
  ])('accepts %s', (_what, value, config) => {
    expect(parseBusOption(value, readFile)).toEqual({ ok: true, config });
  });

  it.each([
    ['text that is not JSON', 'eventbridge', /^bus config is not JSON \(.*\); pass JSON or @file$/],
    ['a missing @file', '@/nope.json', /^cannot read bus config file \/nope.json: ENOENT/],
    ['a missing field', '{"kind":"eventbridge"}', /^invalid bus config: .*busName/s],
    ['an unknown field', '{"kind":"eventbridge","busName":"b","bus":"x"}', /^invalid bus config: .*"bus"/s],
    ['an unknown kind', '{"kind":"kafka"}', /^invalid bus config: .*kind/s],
    ['a bad value', '{"kind":"azure-queue","connectionString":"c","queuePrefix":"Capi"}', /lowercase letters/],
  ])('rejects %s, naming the problem', (_what, value, error) => {
    const r = parseBusOption(value, readFile);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(error);
  });
});
