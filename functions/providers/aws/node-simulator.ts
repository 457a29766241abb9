// Stands in for what happens on a real instance after Ignition: the kubelet registers a Node whose
// name is the instance's private DNS name and whose spec.providerID is `aws:///<az>/<id>`, then
// reports Ready. Only for running instances carrying capi-fn's identity tag; it polls
// DescribeInstances (there is no kubelet on moto). Separate from the provider: a real cluster has
// real kubelets and never runs this.
import type { Instance } from '@aws-sdk/client-ec2';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isAlreadyExists } from '../../../shared/kube/errors.ts';
import { type Logger, silentLogger } from '../../../shared/runtime/logger.ts';
import type { Ec2Api, RegionName } from './cloud.ts';
import { formatProviderID, regionOfZone } from './provider-id.ts';
import { IDENTITY_TAG } from './tags.ts';

export const SIMULATED_NODE_LABEL = 'capi-fn.io/simulated-by';

export interface AwsNodeSimulatorOptions {
  kube: KubeClient;
  ec2: Ec2Api;
  /** Region to watch (default: the SDK chain's). */
  region?: RegionName;
  intervalMs?: number;
  log?: Logger;
}

export interface AwsNodeSimulator {
  /** One poll: registers Nodes for running instances not seen yet. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

interface NodeObject extends KubeObject {
  spec?: { providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** The Node a kubelet on this instance would register, status included. */
export function nodeFor(inst: Instance, now: Date): { node: NodeObject; status: Record<string, unknown> } {
  const name = inst.PrivateDnsName!;
  const zone = inst.Placement?.AvailabilityZone ?? '';
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  });
  return {
    node: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name.split('.')[0]!,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': inst.Architecture === 'arm64' ? 'arm64' : 'amd64',
          'node.kubernetes.io/instance-type': inst.InstanceType ?? '',
          'topology.kubernetes.io/zone': zone,
          'topology.kubernetes.io/region': regionOfZone(zone) ?? '',
          [SIMULATED_NODE_LABEL]: 'aws-node-simulator',
        },
      },
      spec: { providerID: formatProviderID(zone, inst.InstanceId!) },
    },
    status: {
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        ...(inst.PrivateIpAddress ? [{ type: 'InternalIP', address: inst.PrivateIpAddress }] : []),
        { type: 'InternalDNS', address: name },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        machineID: inst.InstanceId!.replace(/^i-/, ''),
        systemUUID: inst.InstanceId!,
        bootID: inst.InstanceId!,
        kernelVersion: '5.14.0-capi-fn',
        osImage: `Red Hat Enterprise Linux CoreOS (simulated, ${inst.ImageId ?? 'unknown AMI'})`,
        containerRuntimeVersion: 'cri-o://1.32.0',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: inst.Architecture === 'arm64' ? 'arm64' : 'amd64',
      },
    },
  };
}

export function startAwsNodeSimulator(o: AwsNodeSimulatorOptions): AwsNodeSimulator {
  const log = (o.log ?? silentLogger).child({ component: 'aws-node-simulator' });
  const interval = o.intervalMs ?? 1_000;
  const done = new Set<string>();
  let stopped = false;
  let wake: (() => void) | undefined;

  async function register(inst: Instance): Promise<void> {
    const { node, status } = nodeFor(inst, new Date());
    let current: NodeObject;
    try {
      current = await o.kube.create(node);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      current = await o.kube.get<NodeObject>({ apiVersion: 'v1', kind: 'Node', name: node.metadata.name! });
      // A Node of that name from another instance (names are reused after termination) is left alone.
      if (current.spec?.providerID !== node.spec?.providerID) return;
      if (current.status?.conditions?.some((c) => c.type === 'Ready')) return;
    }
    await o.kube.updateStatus({ ...current, status });
    log.info({ node: node.metadata.name, providerID: node.spec?.providerID }, 'simulated kubelet registered its Node');
  }

  async function tick(): Promise<void> {
    const running = await o.ec2.describeInstances(o.region, {
      filters: [
        { Name: 'tag-key', Values: [IDENTITY_TAG] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });
    for (const inst of running) {
      if (stopped) return;
      if (!inst.InstanceId || !inst.PrivateDnsName || done.has(inst.InstanceId)) continue;
      await register(inst);
      done.add(inst.InstanceId);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch (e) {
        if (!stopped)
          log.warn({ err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, 'poll failed; retrying');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    tick,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
