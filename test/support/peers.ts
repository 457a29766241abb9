// Real third-party peers the integration tests drive. A missing peer skips its suite locally and
// fails it in CI (CI=true), so CI can never pass by silently testing less.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type PeerName =
  | 'kubectl'
  | 'moto_server'
  | 'gcloud'
  | 'gcloud-pubsub-emulator'
  | 'java'
  | 'tmux'
  | 'az'
  | 'openstack'
  | 'vcsim'
  | 'python-kubernetes';

const probes: Record<PeerName, () => boolean> = {
  kubectl: () => onPath('kubectl'),
  moto_server: () => onPath('moto_server'),
  java: () => onPath('java'),
  tmux: () => onPath('tmux'),
  openstack: () => onPath('openstack'),
  gcloud: () => onPath('gcloud'),
  az: () => onPath('az'),
  'gcloud-pubsub-emulator': () => pubsubEmulatorPath() !== undefined && onPath('java'),
  // vcsim is built from Debian's govmomi source (test/peers/vcsim/build.sh): Go and that source must be there.
  vcsim: () => onPath('go') && existsSync('/usr/share/gocode/src/github.com/vmware/govmomi/simulator'),
  // Debian's python3-kubernetes, for Debian's python3 (a pyenv python on PATH may not see it).
  'python-kubernetes': () => existsSync(PYTHON) && existsSync('/usr/lib/python3/dist-packages/kubernetes'),
};

/** Debian's python3, the one python3-kubernetes installs for. */
export const PYTHON = '/usr/bin/python3';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The emulator launcher shipped inside the gcloud SDK (starts java directly, one PID to stop). */
export function pubsubEmulatorPath(): string | undefined {
  const roots = ['/usr/lib/google-cloud-sdk', '/usr/share/google-cloud-sdk', '/opt/google-cloud-sdk'];
  try {
    const sdk = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], { encoding: 'utf8' }).trim();
    if (sdk) roots.unshift(sdk);
  } catch {
    // gcloud missing: fall through to the well-known locations.
  }
  for (const r of roots) {
    const p = `${r}/platform/pubsub-emulator/bin/cloud-pubsub-emulator`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

const cache = new Map<PeerName, boolean>();

/** True when the peer is usable. In CI a missing peer throws, so the suite fails instead of skipping. */
export function hasPeer(name: PeerName): boolean {
  let ok = cache.get(name);
  if (ok === undefined) {
    ok = probes[name]();
    cache.set(name, ok);
  }
  if (!ok && process.env.CI === 'true') {
    throw new Error(`test peer "${name}" is missing in CI; install it in .ci/run`);
  }
  return ok;
}
