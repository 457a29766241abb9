// `capi-fn emulator vsphere`: vcsim, govmomi's vCenter simulator (HTTPS on 127.0.0.1, its default inventory:
// datacenter DC0, cluster DC0_C0, datastore LocalDS_0, network "VM Network", VMs such as DC0_H0_VM0), built from
// Debian's govmomi source by test/peers/vcsim/build.sh on first use (about a minute) and cached.
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { port, runForeground } from './options.ts';

const run = promisify(execFile);
const BUILD = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'peers', 'vcsim', 'build.sh');

function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: p }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function startVcsim(o: { port: number; username: string; password: string }) {
  let bin: string;
  try {
    bin = (await run(BUILD, [], { maxBuffer: 1 << 20, timeout: 600_000 })).stdout.trim();
  } catch (e) {
    const err = (e as { stderr?: string }).stderr?.trim();
    throw new Error(err || `building vcsim failed: ${(e as Error).message}`);
  }
  if (o.port !== 0 && (await listening(o.port))) throw Object.assign(new Error('busy'), { code: 'EADDRINUSE' });
  const child = spawn(bin, ['-l', `127.0.0.1:${o.port}`, '-username', o.username, '-password', o.password], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // vcsim prints `export GOVC_URL=https://user:pass@127.0.0.1:<port>/sdk` once it listens.
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /GOVC_URL=(\S+)/.exec(out);
      if (m) resolve(new URL(m[1]!));
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => reject(new Error(`vcsim exited (${code}): ${err.trim()}`)));
  });
  return {
    server: `127.0.0.1:${url.port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function registerVSphereEmulator(parent: Command): void {
  parent
    .command('vsphere')
    .description('vCenter (vim25 SOAP over HTTPS, self-signed), govmomi’s vcsim built from Debian’s govmomi source')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', port, 8989)
    .option('--username <name>', 'the user name Login accepts', 'user')
    .option('--password <word>', 'the password Login accepts', 'pass')
    .action(async (opts: { port: number; username: string; password: string }) => {
      let server = '';
      await runForeground(
        'vsphere',
        async () => {
          const sim = await startVcsim(opts);
          server = sim.server;
          return sim;
        },
        () => [
          `vCenter simulator (vcsim) on https://${server}/sdk (inventory in memory; Ctrl-C stops)`,
          `capi-fn:  export VSPHERE_SERVER=${server} VSPHERE_USERNAME=${opts.username} VSPHERE_PASSWORD=${opts.password} VSPHERE_INSECURE=true`,
          `govc:     export GOVC_URL=https://${opts.username}:${opts.password}@${server}/sdk GOVC_INSECURE=1`,
          "inventory: datacenter DC0, cluster DC0_C0 (pool /DC0/host/DC0_C0/Resources), datastore LocalDS_0, network 'VM Network', template VM DC0_H0_VM0",
        ],
        opts.port,
      );
    });
}
