// The bare-metal platform (CAPM3's Metal3Cluster, Metal3Machine on BareMetalHosts): the operator's plan
// and the simulated installer. The machine provider is runtime.ts.

import { Namespaces, OperatorNames } from '../../../shared/api/openshift/constants.ts';
import type { ProviderModule } from '../kit/module.ts';
import { endpointOrMissing, SIMULATED_ON_PREM, SIMULATED_VIP, secretObject } from '../kit/plan.ts';
import { metal3DataTemplateRules, metal3MachineRules, metal3MachineTemplateRules } from './admission.ts';

export const metal3Provider: ProviderModule = {
  name: 'metal3',
  cliPlatform: 'baremetal',
  platformType: 'BareMetal',
  kinds: { cluster: 'Metal3Cluster', machine: 'Metal3Machine', machineTemplate: 'Metal3MachineTemplate' },
  hasRuntime: true,
  infraCluster: {
    plan(inputs) {
      const missing: string[] = [];
      return {
        spec: { controlPlaneEndpoint: endpointOrMissing(inputs, missing), noCloudProvider: true },
        prerequisites: [],
        missing,
      };
    },
  },
  webhookRules: {
    'infrastructure.cluster.x-k8s.io/Metal3Machine': metal3MachineRules,
    'infrastructure.cluster.x-k8s.io/Metal3MachineTemplate': metal3MachineTemplateRules,
    'infrastructure.cluster.x-k8s.io/Metal3DataTemplate': metal3DataTemplateRules,
  },
  quickStart: ({ k, namespace }) => [
    `      ${k} get baremetalhosts -n ${namespace}   (then README, "Other platforms": copy the user data, apply examples/baremetal/machineset.yaml)`,
  ],
  simulatedInstall: ({ workerIgnition }) => ({
    platformSpec: { type: 'BareMetal', baremetal: { apiServerInternalIPs: [SIMULATED_VIP], ingressIPs: ['10.0.0.7'] } },
    platformStatus: { type: 'BareMetal', baremetal: SIMULATED_ON_PREM },
    // The docs have the user copy this one into openshift-cluster-api by hand; the operator does not sync it.
    objects: [
      secretObject(
        OperatorNames.bareMetalUserDataSecret,
        { userData: workerIgnition },
        { namespace: Namespaces.machineAPI },
      ),
    ],
  }),
};
