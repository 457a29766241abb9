// The vSphere platform (CAPV's VSphereCluster): the operator's plan (an identity Secret from the installer's
// vCenter credentials) and the simulated installer. No machine provider yet: VSphereMachines wait in
// Provisioning.
import type { ProviderModule } from '../kit/module.ts';
import { endpointOrMissing, needer, rec, SIMULATED_ON_PREM, secretKey, secretObject, str } from '../kit/plan.ts';

/** Where the installer leaves the vCenter credentials (keys `<server>.username` / `<server>.password`). */
export const VSPHERE_CREDS = { namespace: 'kube-system', name: 'vsphere-creds' } as const;

export const vsphereProvider: ProviderModule = {
  name: 'vsphere',
  cliPlatform: 'vsphere',
  platformType: 'VSphere',
  kinds: { cluster: 'VSphereCluster', machine: 'VSphereMachine', machineTemplate: 'VSphereMachineTemplate' },
  hasRuntime: false,
  infraCluster: {
    needsProviderSpec: true,
    secrets: [VSPHERE_CREDS],
    plan(inputs) {
      const { infrastructureName: name, mapiProviderSpec: ps } = inputs;
      const missing: string[] = [];
      const need = needer(missing);
      const prerequisites = [];
      const server = need(
        str(inputs.infrastructure.spec?.platformSpec?.vsphere?.vcenters?.[0]?.server) ??
          str(rec(ps?.workspace)?.server),
        'Infrastructure spec.platformSpec.vsphere.vcenters[0].server (or a MAPI providerSpec workspace.server)',
      );
      if (server) {
        const creds = inputs.secrets[secretKey(VSPHERE_CREDS)];
        const username = str(creds?.[`${server}.username`]);
        const password = str(creds?.[`${server}.password`]);
        if (!username || !password) {
          missing.push(
            `Secret ${VSPHERE_CREDS.namespace}/${VSPHERE_CREDS.name} with keys ${server}.username and ${server}.password`,
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
  simulatedInstall() {
    const server = 'vcenter.capi-fn.local';
    return {
      platformSpec: {
        type: 'VSphere',
        vsphere: { ...SIMULATED_ON_PREM, vcenters: [{ server, port: 443, datacenters: ['DC0'] }] },
      },
      platformStatus: { type: 'VSphere', vsphere: SIMULATED_ON_PREM },
      objects: [
        secretObject(
          VSPHERE_CREDS.name,
          { [`${server}.username`]: 'administrator@vsphere.local', [`${server}.password`]: 'simulated-password' },
          { namespace: VSPHERE_CREDS.namespace },
        ),
      ],
    };
  },
};
