// What the GCP tests share: the names of the docs' cluster, the docs' GCPMachineTemplate spec, and gcloud
// configured against an emulator (its own CLOUDSDK_CONFIG, so the machine's gcloud setup is never touched).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KitTimings } from '../../../functions/providers/kit/definition.ts';

const run = promisify(execFile);

export const NS = 'openshift-cluster-api';
export const CLUSTER = 'ocp-gcp-4wq8n';
export const PROJECT = 'openshift-gce-devel';
export const REGION = 'us-central1';
export const ZONE = 'us-central1-a';
export const IMAGE = 'rhcos-9-6-20250701-0-gcp-x86-64';
export const GCP = 'infrastructure.cluster.x-k8s.io/v1beta1';

export const TEST_TIMINGS: Partial<KitTimings> = {
  launchLeaseMs: 3_000,
  notFoundGraceMs: 3_000,
  badInputRetryMs: 300,
  transitionPollMs: 200,
  terminatePollMs: 200,
  clusterRetryMs: 300,
};

/** The OpenShift docs' GCPMachineTemplate sample, with this cluster's names. */
export function docsTemplateSpec(): Record<string, unknown> {
  return {
    rootDeviceType: 'pd-ssd',
    rootDeviceSize: 128,
    instanceType: 'n1-standard-4',
    image: `projects/rhcos-cloud/global/images/${IMAGE}`,
    subnet: `${CLUSTER}-worker-subnet`,
    serviceAccounts: {
      email: `${CLUSTER}-w@${PROJECT}.iam.gserviceaccount.com`,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    },
    additionalLabels: { [`kubernetes-io-cluster-${CLUSTER}`]: 'owned' },
    additionalNetworkTags: [`${CLUSTER}-worker`],
    ipForwarding: 'Disabled',
  };
}

export interface Gcloud {
  /** Runs gcloud with --quiet; resolves with stdout, rejects on a non-zero exit. */
  (...args: string[]): Promise<string>;
  /** Like the call, but resolves with the exit code and both streams. */
  result(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  cleanup(): void;
}

/**
 * gcloud pointed at `endpoint` with credentials disabled (peer-trials §4) and `project` as its default. The
 * properties go in CLOUDSDK_* variables (gcloud reads CLOUDSDK_<SECTION>_<PROPERTY>), not in five
 * `gcloud config set` runs: each run is a Python start, slow on a loaded CI machine.
 */
export async function gcloudAgainst(endpoint: string, project: string): Promise<Gcloud> {
  const cfg = mkdtempSync(join(tmpdir(), 'gcloud-cfg-'));
  const env = {
    ...process.env,
    CLOUDSDK_CONFIG: cfg,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: endpoint,
    CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
    CLOUDSDK_CORE_PROJECT: project,
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
  };
  const result = async (...args: string[]) => {
    try {
      const r = await run('gcloud', [...args, '--quiet'], { env });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };
  const g = (async (...args: string[]) => {
    const r = await result(...args);
    if (r.code !== 0) throw new Error(`gcloud ${args.join(' ')} exited ${r.code}: ${r.err}`);
    return r.out;
  }) as Gcloud;
  g.result = result;
  g.cleanup = () => rmSync(cfg, { recursive: true, force: true });
  return g;
}
