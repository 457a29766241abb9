// The AWS provider's runtime: its handlers on EC2 (the SDK's standard chain unless a client is given), the
// deployed functions' permissions, the orphan scan, and what `capi-fn up --platform aws` starts.
import type { AWSCluster } from '../../../shared/api/providers/aws.ts';
import type { ProviderRuntime } from '../kit/module.ts';
import { startNodeSimulator } from '../kit/node-simulator.ts';
import { portScanner } from '../kit/orphans.ts';
import { type Ec2Api, Ec2Cloud } from './cloud.ts';
import { awsProviderHandlers } from './handler.ts';
import { awsClusterPermissions, awsMachinePermissions, awsOrphanScanPermissions } from './permissions.ts';
import { awsPort } from './port.ts';

export const runtime: ProviderRuntime = {
  handlers: (o) =>
    awsProviderHandlers({
      ...(o?.client ? { cloud: o.client as () => Ec2Api } : {}),
      ...(o?.timings ? { timings: o.timings } : {}),
    }),
  deploy: {
    aws: { cluster: awsClusterPermissions, machine: awsMachinePermissions },
    awsOrphanScan: awsOrphanScanPermissions,
  },
  orphans: ({ cluster, infraCluster, client }) =>
    portScanner(
      'aws',
      awsPort((client as Ec2Api | undefined) ?? new Ec2Cloud(), (infraCluster as AWSCluster | undefined)?.spec?.region),
      cluster,
    ),
  async embedded(o) {
    // The standard SDK chain (AWS_REGION, AWS_ENDPOINT_URL[_EC2], credentials): a moto_server needs nothing else.
    const ec2 = new Ec2Cloud();
    const region = o.env.AWS_REGION || undefined;
    const sim = o.simulateNodes
      ? startNodeSimulator({
          kube: o.kube,
          list: () => awsPort(ec2, region).listOwned({}),
          name: 'aws-node-simulator',
          log: o.log,
        })
      : undefined;
    return {
      client: ec2,
      handlers: awsProviderHandlers({ cloud: () => ec2 }),
      async stop() {
        await sim?.stop();
        ec2.destroy();
      },
    };
  },
};
