// The AWS provider (CAPA's AWSCluster and AWSMachine on EC2): its descriptor for the provider list (the
// handlers are in runtime.ts).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ProviderModule } from '../kit/module.ts';
import { credentialCheck, endpointOrMissing, needer, str } from '../kit/plan.ts';
import { awsMachineRules, awsMachineTemplateRules } from './admission.ts';

export const awsProvider: ProviderModule = {
  name: 'aws',
  cliPlatform: 'aws',
  platformType: 'AWS',
  kinds: { cluster: 'AWSCluster', machine: 'AWSMachine', machineTemplate: 'AWSMachineTemplate' },
  hasRuntime: true,
  credentialCheck(env) {
    const ok = Boolean(
      env.AWS_ACCESS_KEY_ID ||
        env.AWS_PROFILE ||
        env.AWS_WEB_IDENTITY_TOKEN_FILE ||
        env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
        existsSync(join(homedir(), '.aws', 'credentials')),
    );
    return credentialCheck('AWS credentials', ok, {
      ok: 'found in the SDK credential chain',
      missing: 'none in the environment or ~/.aws',
      fix: 'export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and AWS_REGION',
    });
  },
  infraCluster: {
    plan(inputs) {
      const missing: string[] = [];
      const need = needer(missing);
      const region = need(
        str(inputs.infrastructure.status?.platformStatus?.aws?.region),
        'Infrastructure status.platformStatus.aws.region',
      );
      return {
        spec: {
          region,
          controlPlaneEndpoint: endpointOrMissing(inputs, missing),
          identityRef: { kind: 'AWSClusterControllerIdentity', name: 'default' },
        },
        prerequisites: [],
        missing,
      };
    },
  },
  webhookRules: {
    'infrastructure.cluster.x-k8s.io/AWSMachine': awsMachineRules,
    'infrastructure.cluster.x-k8s.io/AWSMachineTemplate': awsMachineTemplateRules,
  },
  webhookDefaults: {
    // CAPA's default identity: the controller's own credentials (what OpenShift's operator writes too).
    'infrastructure.cluster.x-k8s.io/AWSCluster': (spec) => {
      spec.identityRef ??= { kind: 'AWSClusterControllerIdentity', name: 'default' };
    },
  },
  simulatedInstall: ({ env }) => ({
    platformSpec: { type: 'AWS', aws: {} },
    platformStatus: { type: 'AWS', aws: { region: env.AWS_REGION || 'us-east-1' } },
    objects: [],
  }),
  quickStart: ({ k }) => [
    `      ${k} apply -f examples/aws/machineset.yaml   (an AWSMachineTemplate and a MachineSet; edit them for a real account)`,
  ],
};
