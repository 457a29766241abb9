// The vSphere provider (CAPV's VSphereCluster and VSphereMachine on vCenter): its descriptor for the provider list
// (the handlers are in runtime.ts): the operator's plan (an identity Secret from the installer's vCenter
// credentials), admission rules, the doctor's checks and the simulated installer.
import type { ProviderModule } from '../kit/module.ts';
import {
  credentialCheck,
  endpointOrMissing,
  needer,
  rec,
  SIMULATED_ON_PREM,
  secretKey,
  secretObject,
  str,
} from '../kit/plan.ts';
import { vsphereMachineRules, vsphereMachineTemplateRules } from './admission.ts';

/** Where the installer leaves the vCenter credentials (keys `<server>.username` / `<server>.password`). */
export const VSPHERE_CREDS = { namespace: 'kube-system', name: 'vsphere-creds' } as const;

/**
 * OpenShift's vcenters[].port (at most 32767). A simulator on a higher port is left out: the process's VSPHERE_SERVER
 * still says how to reach it (credentials.ts connects to that host:port).
 */
function vcenterPort(port: string | undefined): { port?: number } {
  const n = Number(port ?? 443);
  return Number.isInteger(n) && n >= 1 && n <= 32767 ? { port: n } : {};
}

export const vsphereProvider: ProviderModule = {
  name: 'vsphere',
  cliPlatform: 'vsphere',
  platformType: 'VSphere',
  kinds: { cluster: 'VSphereCluster', machine: 'VSphereMachine', machineTemplate: 'VSphereMachineTemplate' },
  hasRuntime: true,
  credentialCheck(env) {
    const missing = ['VSPHERE_SERVER', 'VSPHERE_USERNAME', 'VSPHERE_PASSWORD'].filter((k) => !env[k]);
    return credentialCheck('vCenter credentials', missing.length === 0, {
      ok: `VSPHERE_USERNAME for ${env.VSPHERE_SERVER}`,
      missing: `${missing.join(', ')} not set (a cluster's VSphereCluster identityRef Secret can still name them)`,
      fix: 'set VSPHERE_SERVER (host[:port]), VSPHERE_USERNAME and VSPHERE_PASSWORD; VSPHERE_INSECURE=true or VSPHERE_CA_FILE for TLS',
    });
  },
  async endpointCheck(env) {
    if (!env.VSPHERE_SERVER) return undefined;
    const { vcenterChecks } = await import('./doctor.ts');
    return vcenterChecks(env);
  },
  infraCluster: {
    needsProviderSpec: true,
    secrets: [VSPHERE_CREDS],
    plan(inputs) {
      const { infrastructureName: name, mapiProviderSpec: ps } = inputs;
      const missing: string[] = [];
      const need = needer(missing);
      const prerequisites = [];
      const vcenter = inputs.infrastructure.spec?.platformSpec?.vsphere?.vcenters?.[0];
      const host = need(
        str(vcenter?.server) ?? str(rec(ps?.workspace)?.server),
        'Infrastructure spec.platformSpec.vsphere.vcenters[0].server (or a MAPI providerSpec workspace.server)',
      );
      // CAPV's server takes host:port; OpenShift keeps a port other than 443 apart (vcenters[0].port).
      const server = host && vcenter?.port && vcenter.port !== 443 ? `${host}:${vcenter.port}` : host;
      if (host) {
        const creds = inputs.secrets[secretKey(VSPHERE_CREDS)];
        const username = str(creds?.[`${host}.username`]);
        const password = str(creds?.[`${host}.password`]);
        if (!username || !password) {
          missing.push(
            `Secret ${VSPHERE_CREDS.namespace}/${VSPHERE_CREDS.name} with keys ${host}.username and ${host}.password`,
          );
        } else {
          prerequisites.push(secretObject(name, { username, password }));
        }
      }
      return {
        spec: {
          server,
          identityRef: { kind: 'Secret', name },
          controlPlaneEndpoint: endpointOrMissing(inputs, missing),
        },
        prerequisites,
        missing,
      };
    },
  },
  webhookRules: {
    'infrastructure.cluster.x-k8s.io/VSphereMachine': vsphereMachineRules,
    'infrastructure.cluster.x-k8s.io/VSphereMachineTemplate': vsphereMachineTemplateRules,
  },
  quickStart: ({ k }) => [
    `      ${k} apply -f examples/vsphere/machineset.yaml   (a VSphereMachineTemplate and a MachineSet for vcsim's inventory)`,
  ],
  simulatedInstall({ env }) {
    // The installer's vCenter is the one capi-fn up talks to (vcsim from `capi-fn emulator vsphere`), when given.
    const [server, port] = (env.VSPHERE_SERVER || 'vcenter.capi-fn.local').replace(/^https?:\/\//, '').split(':');
    const username = env.VSPHERE_USERNAME || 'administrator@vsphere.local';
    const password = env.VSPHERE_PASSWORD || 'simulated-password';
    return {
      platformSpec: {
        type: 'VSphere',
        vsphere: {
          ...SIMULATED_ON_PREM,
          vcenters: [{ server: server!, ...vcenterPort(port), datacenters: ['DC0'] }],
        },
      },
      platformStatus: { type: 'VSphere', vsphere: SIMULATED_ON_PREM },
      objects: [
        secretObject(
          VSPHERE_CREDS.name,
          { [`${server}.username`]: username, [`${server}.password`]: password },
          { namespace: VSPHERE_CREDS.namespace },
        ),
      ],
    };
  },
};
