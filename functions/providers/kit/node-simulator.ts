// Stands in for what happens on a real instance after Ignition: the kubelet registers a Node whose
// spec.providerID is the instance's, then reports Ready. Only for running instances carrying capi-fn's
// identity (it polls the port: a simulated or emulated cloud has no kubelets). Separate from the provider:
// a real cluster has real kubelets and never runs this. `capi-fn up --simulate-nodes` and the tests use it.
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isAlreadyExists } from '../../../shared/kube/errors.ts';
import { type Logger, silentLogger } from '../../../shared/runtime/logger.ts';
import type { CloudInstance } from './port.ts';

export const SIMULATED_NODE_LABEL = 'capi-fn.io/simulated-by';

export interface NodeSimulatorOptions {
  kube: KubeClient;
  /** Every instance capi-fn owns (the port's `listOwned`). */
  list: () => Promise<CloudInstance[]>;
  /** Who simulates, for the Node label and the log (`aws-node-simulator`). */
  name: string;
  intervalMs?: number;
  log?: Logger;
}

export interface NodeSimulator {
  /** One poll: registers Nodes for running instances not seen yet. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

interface NodeObject extends KubeObject {
  spec?: { providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** The Node a kubelet on this instance would register, status included. */
export function nodeFor(
  inst: CloudInstance,
  now: Date,
  simulator: string,
): { node: NodeObject; status: Record<string, unknown> } {
  const name = inst.hostname!;
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  });
  const internalIPs = inst.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address);
  return {
    node: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name.split('.')[0]!,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          ...(inst.instanceType ? { 'node.kubernetes.io/instance-type': inst.instanceType } : {}),
          ...(inst.failureDomain ? { 'topology.kubernetes.io/zone': inst.failureDomain } : {}),
          [SIMULATED_NODE_LABEL]: simulator,
        },
      },
      spec: { providerID: inst.providerID },
    },
    status: {
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        ...internalIPs.slice(0, 1).map((address) => ({ type: 'InternalIP', address })),
        { type: 'InternalDNS', address: name },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        machineID: inst.id.replace(/[^a-zA-Z0-9]/g, ''),
        systemUUID: inst.id,
        bootID: inst.id,
        kernelVersion: '5.14.0-capi-fn',
        osImage: 'Red Hat Enterprise Linux CoreOS (simulated)',
        containerRuntimeVersion: 'cri-o://1.32.0',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function startNodeSimulator(o: NodeSimulatorOptions): NodeSimulator {
  const log = (o.log ?? silentLogger).child({ component: o.name });
  const interval = o.intervalMs ?? 1_000;
  const done = new Set<string>();
  let stopped = false;
  let wake: (() => void) | undefined;

  async function register(inst: CloudInstance): Promise<void> {
    const { node, status } = nodeFor(inst, new Date(), o.name);
    let current: NodeObject;
    try {
      current = await o.kube.create(node);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      current = await o.kube.get<NodeObject>({ apiVersion: 'v1', kind: 'Node', name: node.metadata.name! });
      // A Node of that name from another instance (names are reused after deletion) is left alone.
      if (current.spec?.providerID !== node.spec?.providerID) return;
      if (current.status?.conditions?.some((c) => c.type === 'Ready')) return;
    }
    await o.kube.updateStatus({ ...current, status });
    log.info({ node: node.metadata.name, providerID: node.spec?.providerID }, 'simulated kubelet registered its Node');
  }

  async function tick(): Promise<void> {
    for (const inst of await o.list()) {
      if (stopped) return;
      if (inst.state !== 'running' || !inst.hostname || done.has(inst.id)) continue;
      await register(inst);
      done.add(inst.id);
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
