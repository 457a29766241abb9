// The OpenStack (RHOSP) provider (CAPO's OpenStackCluster and OpenStackMachine on Nova, Neutron, Glance and
// Cinder): its descriptor for the provider list — the operator's plan (4.21+ contents), the simulated installer,
// admission rules and doctor checks (the handlers are in runtime.ts).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { ProviderModule } from '../kit/module.ts';
import { credentialCheck, needer, SIMULATED_ON_PREM, SIMULATED_VIP, secretObject, str } from '../kit/plan.ts';
import { openstackMachineRules, openstackMachineTemplateRules } from './admission.ts';

/** The clouds.yaml Secret the Cloud Credential Operator writes into openshift-cluster-api. */
export const OPENSTACK_CREDENTIALS_SECRET = 'openstack-cloud-credentials';

export const openstackProvider: ProviderModule = {
  name: 'openstack',
  cliPlatform: 'openstack',
  platformType: 'OpenStack',
  kinds: { cluster: 'OpenStackCluster', machine: 'OpenStackMachine', machineTemplate: 'OpenStackMachineTemplate' },
  hasRuntime: true,
  credentialCheck(env) {
    const file = env.OS_CLOUD ? cloudsYamlFile(env) : undefined;
    return credentialCheck('OpenStack credentials', Boolean(file || env.OS_AUTH_URL), {
      ok: file ? `cloud ${env.OS_CLOUD} in ${file}` : `OS_AUTH_URL=${env.OS_AUTH_URL}`,
      missing: env.OS_CLOUD
        ? `OS_CLOUD=${env.OS_CLOUD} but no clouds.yaml found`
        : 'neither OS_CLOUD nor OS_AUTH_URL is set',
      fix: 'set OS_CLOUD (and OS_CLIENT_CONFIG_FILE) to a clouds.yaml entry, or the OS_* variables; npx capi-fn emulator openstack --clouds-yaml FILE writes one',
    });
  },
  async endpointCheck(env) {
    const { keystoneCheck } = await import('./doctor.ts');
    return keystoneCheck(env);
  },
  async templateChecks(env, kube) {
    const { templateChecks } = await import('./doctor.ts');
    return templateChecks(env, kube);
  },
  infraCluster: {
    plan(inputs) {
      const missing: string[] = [];
      const need = needer(missing);
      // 4.21+: the endpoint is the first internal API VIP on 6443; a user-managed load balancer has no such VIP.
      const os = inputs.infrastructure.status?.platformStatus?.openstack;
      if (os?.loadBalancer?.type === 'UserManaged') {
        missing.push(
          'an OpenShift-managed API load balancer (platformStatus.openstack.loadBalancer.type is UserManaged)',
        );
      }
      const vip = need(
        str(os?.apiServerInternalIPs?.[0]),
        'Infrastructure status.platformStatus.openstack.apiServerInternalIPs[0]',
      );
      return {
        spec: {
          controlPlaneEndpoint: vip ? { host: vip, port: 6443 } : undefined,
          disableAPIServerFloatingIP: true,
          identityRef: { name: OPENSTACK_CREDENTIALS_SECRET, cloudName: str(os?.cloudName) ?? 'openstack' },
          tags: [`openshiftClusterID=${inputs.infrastructureName}`],
        },
        prerequisites: [],
        missing,
      };
    },
  },
  webhookRules: {
    'infrastructure.cluster.x-k8s.io/OpenStackMachine': openstackMachineRules,
    'infrastructure.cluster.x-k8s.io/OpenStackMachineTemplate': openstackMachineTemplateRules,
  },
  quickStart: ({ k }) => [
    `      ${k} apply -f examples/openstack/machineset.yaml   (an OpenStackMachineTemplate and a MachineSet; the README says what to seed first)`,
  ],
  // The Cloud Credential Operator's Secret holds the cloud the process points at (OS_CLOUD's clouds.yaml, else one
  // written from OS_*), so the handlers read their credentials from it as on OpenShift.
  simulatedInstall: ({ env }) => {
    const { cloudName, yaml } = simulatedCloudsYaml(env);
    return {
      platformSpec: {
        type: 'OpenStack',
        openstack: { apiServerInternalIPs: [SIMULATED_VIP], ingressIPs: ['10.0.0.7'] },
      },
      platformStatus: { type: 'OpenStack', openstack: { ...SIMULATED_ON_PREM, cloudName } },
      objects: [secretObject(OPENSTACK_CREDENTIALS_SECRET, { 'clouds.yaml': yaml })],
    };
  },
};

function cloudsYamlFile(env: NodeJS.ProcessEnv): string | undefined {
  return [
    ...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []),
    `${process.cwd()}/clouds.yaml`,
    `${homedir()}/.config/openstack/clouds.yaml`,
    '/etc/openstack/clouds.yaml',
  ].find((p) => existsSync(p));
}

/** The clouds.yaml the simulated installer puts in openstack-cloud-credentials, and the cloud name to use. */
export function simulatedCloudsYaml(env: NodeJS.ProcessEnv): { cloudName: string; yaml: string } {
  const file = env.OS_CLOUD ? cloudsYamlFile(env) : undefined;
  if (env.OS_CLOUD && file) return { cloudName: env.OS_CLOUD, yaml: readFileSync(file, 'utf8') };
  const q = (v: string) => JSON.stringify(v);
  const auth = Object.entries({
    auth_url: env.OS_AUTH_URL ?? 'https://keystone.capi-fn.local:5000/v3',
    username: env.OS_USERNAME,
    password: env.OS_PASSWORD,
    project_name: env.OS_PROJECT_NAME,
    project_id: env.OS_PROJECT_ID,
    user_domain_name: env.OS_USER_DOMAIN_NAME,
    project_domain_name: env.OS_PROJECT_DOMAIN_NAME,
    application_credential_id: env.OS_APPLICATION_CREDENTIAL_ID,
    application_credential_secret: env.OS_APPLICATION_CREDENTIAL_SECRET,
  })
    .filter(([, v]) => v)
    .map(([k, v]) => `      ${k}: ${q(v!)}`);
  const extra = [
    ...(env.OS_REGION_NAME ? [`    region_name: ${q(env.OS_REGION_NAME)}`] : []),
    ...(env.OS_AUTH_TYPE ? [`    auth_type: ${q(env.OS_AUTH_TYPE)}`] : []),
    ...(env.OS_INTERFACE ? [`    interface: ${q(env.OS_INTERFACE)}`] : []),
  ];
  return { cloudName: 'openstack', yaml: ['clouds:', '  openstack:', '    auth:', ...auth, ...extra, ''].join('\n') };
}
