import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kubeconfigYaml } from '../../apiserver/index.ts';
import { ExitCodes } from '../exit-codes.ts';
import { INVOKABLE } from './invoke.ts';
import { invokableHandlers, invoke } from './invoke-run.ts';

describe('invoke', () => {
  it('names in --help exactly the handlers it can run', () => {
    expect([...INVOKABLE]).toEqual(invokableHandlers());
  });
});

describe('invoke drift with an event that is not a schedule tick', () => {
  afterEach(() => vi.restoreAllMocks());

  /**
   * Runs `invoke drift --event <file holding text> --kubeconfig <a cluster nobody serves>`: the event must be
   * refused before anything talks to the cluster.
   */
  async function driftWith(text: string) {
    const dir = mkdtempSync(join(tmpdir(), 'capi-fn-invoke-'));
    const file = join(dir, 'event.json');
    writeFileSync(file, text);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml('https://127.0.0.1:1', '', 'unused'), { mode: 0o600 });
    const cmd = new Command().option('--kubeconfig <path>');
    cmd.parse(['--kubeconfig', kubeconfig], { from: 'user' });
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const code = await invoke('drift', { event: file, attempt: '1', mode: 'validate' }, cmd);
    return { code, stderr: stderr.join(''), file };
  }

  it('a file holding null is a usage error naming the problem, not a TypeError', async () => {
    const r = await driftWith('null');
    expect(r.code).toBe(ExitCodes.usage);
    expect(r.stderr).toBe(
      `capi-fn invoke: drift expects a io.capifn.schedule.tick event (events/schedule-tick.json), but --event ${r.file} holds null, not an event object\n`,
    );
  });

  it.each([
    ['a number', '42', 'holds a number, not an event object'],
    ['an array', '[]', 'holds an array, not an event object'],
    ['another event type', '{"type":"io.capifn.resource.modified"}', 'has type "io.capifn.resource.modified"'],
    ['no type', '{}', 'has type null'],
  ])('%s is refused the same way', async (_what, text, problem) => {
    const r = await driftWith(text);
    expect(r.code).toBe(ExitCodes.usage);
    expect(r.stderr).toContain(`--event ${r.file} ${problem}`);
  });
});
