// A peer whose free port was taken before it bound it is started again on another port.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPeer } from './spawn-peer.ts';

describe('startPeer', () => {
  it('starts again on another port when the first one was taken meanwhile', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'peer-')), 'tried');
    // First run: what moto_server prints when its port is taken. Second run: a real HTTP server.
    const script = `if [ ! -e ${marker} ]; then echo "$1" > ${marker}; echo "Address already in use" >&2; exit 1; fi; exec python3 -m http.server "$1" --bind 127.0.0.1`;
    const peer = await startPeer({
      name: 'flaky-peer',
      command: 'sh',
      args: (port) => ['-c', script, 'sh', String(port)],
      readyPath: '/',
    });
    try {
      expect(peer.port).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${peer.port}/`)).status).toBe(200);
    } finally {
      await peer.stop();
    }
  });
});
