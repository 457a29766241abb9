// The GCP provider (CAPG's GCPCluster and GCPMachine on Compute Engine): its descriptor for the provider list
// (the handlers are in runtime.ts).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ProviderModule } from '../kit/module.ts';
import { credentialCheck, endpointOrMissing, mapiMachineSet, needer, rec, str } from '../kit/plan.ts';
import { gcpMachineRules, gcpMachineTemplateRules } from './admission.ts';

export const gcpProvider: ProviderModule = {
  name: 'gcp',
  cliPlatform: 'gcp',
  platformType: 'GCP',
  kinds: { cluster: 'GCPCluster', machine: 'GCPMachine', machineTemplate: 'GCPMachineTemplate' },
  hasRuntime: true,
  credentialCheck(env) {
    // A plain-http endpoint (the emulator) is used without credentials, as gcloud does with auth/disable_credentials.
    if (env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE?.startsWith('http://'))
      return { name: 'GCP credentials', status: 'ok', detail: 'none needed for the plain-http endpoint (an emulator)' };
    const ok = Boolean(
      env.GOOGLE_APPLICATION_CREDENTIALS ||
        existsSync(join(homedir(), '.config', 'gcloud', 'application_default_credentials.json')),
    );
    return credentialCheck('GCP credentials', ok, {
      ok: 'application default credentials found',
      missing: 'no application default credentials',
      fix: 'set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file',
    });
  },
  async endpointCheck(env) {
    const e = env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE;
    if (!e) return undefined;
    const base = e.endsWith('/') ? e : `${e}/`;
    try {
      const r = await fetch(new URL('projects/capi-fn-doctor/zones?maxResults=1', base), {
        signal: AbortSignal.timeout(5_000),
      });
      await r.body?.cancel();
      return { name: 'Compute Engine endpoint', status: 'ok', detail: `${base} answers (HTTP ${r.status})` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      return {
        name: 'Compute Engine endpoint',
        status: 'fail',
        detail: `CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=${base} does not answer (${cause})`,
        fix: 'start it (npx capi-fn emulator gcp prints the endpoint) or unset the variable to use Google',
      };
    }
  },
  infraCluster: {
    needsProviderSpec: true,
    plan(inputs) {
      const missing: string[] = [];
      const need = needer(missing);
      const status = inputs.infrastructure.status?.platformStatus;
      const ps = inputs.mapiProviderSpec;
      // platformStatus first; the MAPI providerSpec is the documented fallback for the project.
      const project = need(
        str(status?.gcp?.projectID) ?? str(ps?.projectID),
        'Infrastructure status.platformStatus.gcp.projectID (or a MAPI providerSpec projectID)',
      );
      const region = need(str(status?.gcp?.region), 'Infrastructure status.platformStatus.gcp.region');
      const nics = Array.isArray(ps?.networkInterfaces) ? ps.networkInterfaces : [];
      const network = str(rec(nics[0])?.network);
      return {
        spec: {
          project,
          region,
          controlPlaneEndpoint: endpointOrMissing(inputs, missing),
          ...(network ? { network: { name: network } } : {}),
        },
        prerequisites: [],
        missing,
      };
    },
  },
  webhookRules: {
    'infrastructure.cluster.x-k8s.io/GCPMachine': gcpMachineRules,
    'infrastructure.cluster.x-k8s.io/GCPMachineTemplate': gcpMachineTemplateRules,
  },
  quickStart: ({ k }) => [
    `      ${k} apply -f examples/gcp/machineset.yaml   (a GCPMachineTemplate and a MachineSet; the README says what to create first)`,
  ],
  simulatedInstall: ({ infrastructureName: infraName }) => ({
    platformSpec: { type: 'GCP', gcp: {} },
    platformStatus: { type: 'GCP', gcp: { projectID: 'capi-fn-simulated', region: 'us-central1' } },
    objects: [
      mapiMachineSet(infraName, {
        kind: 'GCPMachineProviderSpec',
        projectID: 'capi-fn-simulated',
        region: 'us-central1',
        zone: 'us-central1-a',
        networkInterfaces: [{ network: `${infraName}-network`, subnetwork: `${infraName}-worker-subnet` }],
      }),
    ],
  }),
};
