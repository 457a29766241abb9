// A converged cluster written straight into an API server, as the handlers leave one after they settled: a
// Cluster and its LocalCluster ready, a MachineSet of N, N Machines Running with their LocalMachines ready, a
// MachineHealthCheck counting them healthy. For the drift check's tests and bench, where building 10,000
// Machines through the handlers would take longer than the thing measured.
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';

export const FLEET_NS = 'fleet';
export const FLEET_CLUSTER = 'fleet-cluster';
export const FLEET_SET = `${FLEET_CLUSTER}-workers`;
const CAPI = 'cluster.x-k8s.io/v1beta1';
const INFRA = 'infrastructure.cluster.x-k8s.io/v1beta1';

export interface FleetObject {
  obj: KubeObject;
  status?: Record<string, unknown>;
}

const ready = (t: string) => ({ type: 'Ready', status: 'True', lastTransitionTime: t });

export function machineName(i: number): string {
  return `${FLEET_SET}-${i.toString(36).padStart(5, '0')}`;
}

/** The Cluster, LocalCluster, MachineSet and MachineHealthCheck (created first: the Machines refer to them). */
export function fleetHead(n: number, at: string): FleetObject[] {
  const labels = { 'cluster.x-k8s.io/cluster-name': FLEET_CLUSTER };
  const selector = { matchLabels: { ...labels, 'cluster.x-k8s.io/set-name': FLEET_SET } };
  return [
    {
      obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLEET_NS } },
    },
    {
      obj: {
        apiVersion: INFRA,
        kind: 'LocalCluster',
        metadata: { name: FLEET_CLUSTER, namespace: FLEET_NS, labels },
        spec: { controlPlaneEndpoint: { host: 'api.fleet.example.com', port: 6443 } },
      } as KubeObject,
      status: { ready: true, conditions: [ready(at)] },
    },
    {
      obj: {
        apiVersion: CAPI,
        kind: 'Cluster',
        metadata: { name: FLEET_CLUSTER, namespace: FLEET_NS, labels, finalizers: ['cluster.cluster.x-k8s.io'] },
        spec: {
          controlPlaneEndpoint: { host: 'api.fleet.example.com', port: 6443 },
          infrastructureRef: { apiVersion: INFRA, kind: 'LocalCluster', name: FLEET_CLUSTER, namespace: FLEET_NS },
        },
      } as KubeObject,
      status: {
        phase: 'Provisioned',
        infrastructureReady: true,
        observedGeneration: 1,
        conditions: [
          { type: 'ControlPlaneInitialized', status: 'True', lastTransitionTime: at },
          { type: 'InfrastructureReady', status: 'True', lastTransitionTime: at },
          ready(at),
        ],
      },
    },
    {
      obj: {
        apiVersion: CAPI,
        kind: 'MachineSet',
        metadata: { name: FLEET_SET, namespace: FLEET_NS, labels, finalizers: ['cluster.x-k8s.io/machineset'] },
        spec: {
          clusterName: FLEET_CLUSTER,
          replicas: n,
          selector,
          template: {
            metadata: { labels: selector.matchLabels },
            spec: {
              clusterName: FLEET_CLUSTER,
              bootstrap: { dataSecretName: 'worker-user-data' },
              infrastructureRef: { apiVersion: INFRA, kind: 'LocalMachineTemplate', name: `${FLEET_SET}-template` },
            },
          },
        },
      } as KubeObject,
      status: {
        replicas: n,
        fullyLabeledReplicas: n,
        readyReplicas: n,
        availableReplicas: n,
        observedGeneration: 1,
        selector: `cluster.x-k8s.io/cluster-name=${FLEET_CLUSTER},cluster.x-k8s.io/set-name=${FLEET_SET}`,
        conditions: [ready(at)],
      },
    },
    {
      obj: {
        apiVersion: CAPI,
        kind: 'MachineHealthCheck',
        metadata: { name: `${FLEET_SET}-health`, namespace: FLEET_NS, labels },
        spec: { clusterName: FLEET_CLUSTER, selector, maxUnhealthy: '100%', nodeStartupTimeout: '10m' },
      } as KubeObject,
      status: {
        expectedMachines: n,
        currentHealthy: n,
        remediationsAllowed: n,
        observedGeneration: 1,
        conditions: [{ type: 'RemediationAllowed', status: 'True', lastTransitionTime: at }],
      },
    },
  ];
}

/** Machine `i` and its LocalMachine, Running and ready; `setUid` makes the MachineSet the Machine's controller. */
export function fleetMachine(i: number, setUid: string, at: string): FleetObject[] {
  const name = machineName(i);
  const labels = { 'cluster.x-k8s.io/cluster-name': FLEET_CLUSTER, 'cluster.x-k8s.io/set-name': FLEET_SET };
  const providerID = `local:///local-a/i-${i.toString(16).padStart(16, '0')}`;
  return [
    {
      obj: {
        apiVersion: CAPI,
        kind: 'Machine',
        metadata: {
          name,
          namespace: FLEET_NS,
          labels,
          finalizers: ['machine.cluster.x-k8s.io'],
          ownerReferences: [
            {
              apiVersion: CAPI,
              kind: 'MachineSet',
              name: FLEET_SET,
              uid: setUid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          clusterName: FLEET_CLUSTER,
          bootstrap: { dataSecretName: 'worker-user-data' },
          infrastructureRef: { apiVersion: INFRA, kind: 'LocalMachine', name, namespace: FLEET_NS },
          providerID,
        },
      } as KubeObject,
      status: {
        phase: 'Running',
        bootstrapReady: true,
        infrastructureReady: true,
        nodeRef: { apiVersion: 'v1', kind: 'Node', name },
        observedGeneration: 1,
        lastUpdated: at,
        conditions: [
          { type: 'BootstrapReady', status: 'True', lastTransitionTime: at },
          { type: 'HealthCheckSucceeded', status: 'True', lastTransitionTime: at },
          { type: 'InfrastructureReady', status: 'True', lastTransitionTime: at },
          { type: 'NodeHealthy', status: 'True', lastTransitionTime: at },
          ready(at),
        ],
      },
    },
    {
      obj: {
        apiVersion: INFRA,
        kind: 'LocalMachine',
        metadata: {
          name,
          namespace: FLEET_NS,
          labels,
          finalizers: ['localmachine.infrastructure.cluster.x-k8s.io'],
          // The kit leaves its create intent in place after the create; the providerID says it completed.
          annotations: {
            'infrastructure.capi-fn.io/create-intent': JSON.stringify({
              key: `machine-${i}-1`,
              attempt: 1,
              startedAt: at,
            }),
          },
          // The Machine's uid is filled in by createFleet once the Machine exists.
          ownerReferences: [],
        },
        spec: { providerID },
      } as KubeObject,
      status: { ready: true, instanceState: 'running', conditions: [ready(at)] },
    },
  ];
}

/** Creates each object (then its status), `concurrency` at a time; a Machine's LocalMachine gets it as controller. */
export async function createFleet(kube: KubeClient, n: number, o: { at?: string; concurrency?: number } = {}) {
  const at = o.at ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const put = async (f: FleetObject) => {
    const created = await kube.create(f.obj);
    if (f.status) await kube.updateStatus({ ...created, status: f.status });
    return created;
  };
  let setUid = '';
  for (const f of fleetHead(n, at)) {
    const c = await put(f);
    if (c.kind === 'MachineSet') setUid = c.metadata.uid!;
  }
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const [machine, infra] = fleetMachine(i, setUid, at);
      const m = await put(machine!);
      infra!.obj.metadata.ownerReferences = [
        {
          apiVersion: CAPI,
          kind: 'Machine',
          name: m.metadata.name!,
          uid: m.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ];
      await put(infra!);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker));
}
