// vcsim, govmomi's vCenter simulator, built from Debian's govmomi source by test/peers/vcsim/build.sh (cached by
// source hash) and started per suite on a free 127.0.0.1 port, HTTPS with Go's self-signed test certificate.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningPeer, startPeer } from './spawn-peer.ts';

const run = promisify(execFile);
export const VCSIM_BUILD = join(import.meta.dirname, '..', 'peers', 'vcsim', 'build.sh');
export const VCSIM_USER = 'user';
export const VCSIM_PASSWORD = 'pass';

let built: Promise<string> | undefined;

/** The vcsim binary (built on first use, about a minute cold; cached afterwards). */
export function vcsimBinary(): Promise<string> {
  built ??= run(VCSIM_BUILD, [], { maxBuffer: 1 << 20, timeout: 600_000 }).then((r) => r.stdout.trim());
  return built;
}

export interface Vcsim {
  peer: RunningPeer;
  /** `127.0.0.1:<port>`, what VSPHERE_SERVER takes. */
  server: string;
  /** VSPHERE_* for the provider. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startVcsim(): Promise<Vcsim> {
  const bin = await vcsimBinary();
  const peer = await startPeer({
    name: 'vcsim',
    command: bin,
    args: (port) => ['-l', `127.0.0.1:${port}`, '-username', VCSIM_USER, '-password', VCSIM_PASSWORD],
    // A plain-http request to the TLS port gets Go's "400 client sent an HTTP request to an HTTPS server": it is up.
    readyPath: '/about',
  });
  const server = `127.0.0.1:${peer.port}`;
  return {
    peer,
    server,
    env: {
      VSPHERE_SERVER: server,
      VSPHERE_USERNAME: VCSIM_USER,
      VSPHERE_PASSWORD: VCSIM_PASSWORD,
      VSPHERE_INSECURE: 'true',
    },
    stop: () => peer.stop(),
  };
}
