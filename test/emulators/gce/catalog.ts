// What a fresh emulated project sees without creating anything: a handful of real zones and regions, the
// machine types of the families OpenShift templates use, and Google's public Debian image (gcloud's default
// for `instances create`). Real figures from the Compute Engine documentation (vCPUs, memory in MiB).

export const DEFAULT_ZONES = [
  'us-central1-a',
  'us-central1-b',
  'us-central1-c',
  'us-central1-f',
  'us-east1-b',
  'us-east1-c',
  'us-east1-d',
  'europe-west1-b',
  'europe-west1-c',
  'europe-west1-d',
];

export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** name → [vCPUs, memory MiB] */
export const MACHINE_TYPES: Record<string, [number, number]> = {
  'e2-micro': [2, 1024],
  'e2-small': [2, 2048],
  'e2-medium': [2, 4096],
  'e2-standard-2': [2, 8192],
  'e2-standard-4': [4, 16384],
  'e2-standard-8': [8, 32768],
  'e2-standard-16': [16, 65536],
  'n1-standard-1': [1, 3840],
  'n1-standard-2': [2, 7680],
  'n1-standard-4': [4, 15360],
  'n1-standard-8': [8, 30720],
  'n2-standard-2': [2, 8192],
  'n2-standard-4': [4, 16384],
  'n2-standard-8': [8, 32768],
  'n2-standard-16': [16, 65536],
  'n2d-standard-4': [4, 16384],
  'c3-standard-4': [4, 16384],
  't2a-standard-4': [4, 16384],
};

/** `custom-<cpus>-<MiB>` (and `<family>-custom-…`) machine types, as the API accepts them. */
export function machineTypeShape(name: string): [number, number] | undefined {
  const known = MACHINE_TYPES[name];
  if (known) return known;
  const m = /^(?:[a-z0-9]+-)?custom-(\d+)-(\d+)(?:-ext)?$/.exec(name);
  if (!m) return undefined;
  const cpus = Number(m[1]);
  const mem = Number(m[2]);
  return cpus >= 1 && cpus <= 96 && mem % 256 === 0 ? [cpus, mem] : undefined;
}

export const ACCELERATOR_TYPES = ['nvidia-tesla-t4', 'nvidia-l4', 'nvidia-tesla-v100', 'nvidia-tesla-a100'];

/** Public images every project can boot from. */
export const PUBLIC_IMAGES: Array<{ project: string; name: string; family: string; diskSizeGb: string }> = [
  { project: 'debian-cloud', name: 'debian-12-bookworm-v20250610', family: 'debian-12', diskSizeGb: '10' },
];

/** A region's CPU quota when the emulator is not told otherwise (Google's default for a new project is lower). */
export const DEFAULT_CPU_QUOTA = 1000;
