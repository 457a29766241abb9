// The sample the embedded default applies (and the tests use): docs-shaped objects for the local
// platform in openshift-cluster-api — Cluster, LocalCluster, LocalMachineTemplate, the worker
// user-data secret and a MachineSet — following openshift-capi.md §2.
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isAlreadyExists } from '../../shared/kube/errors.ts';

export const SAMPLE_NAMESPACE = 'openshift-cluster-api';
export const SAMPLE_CLUSTER = 'capi-fn-local-7x2kq';

export interface SampleOptions {
  namespace?: string;
  cluster?: string;
  machineSet?: string;
  template?: string;
  replicas?: number;
  deletePolicy?: 'Random' | 'Newest' | 'Oldest';
  bootDelay?: string;
  /** Leave out the Cluster and LocalCluster (the operator creates them). */
  withoutCluster?: boolean;
}

export function sampleObjects(o: SampleOptions = {}): KubeObject[] {
  const ns = o.namespace ?? SAMPLE_NAMESPACE;
  const cluster = o.cluster ?? SAMPLE_CLUSTER;
  const ms = o.machineSet ?? `${cluster}-worker-local-a`;
  const template = o.template ?? `${cluster}-worker-template`;
  const clusterObjects: KubeObject[] = [
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalCluster',
      metadata: { name: cluster, namespace: ns },
      spec: {
        controlPlaneEndpoint: { host: 'api-int.local.capi-fn.test', port: 6443 },
        failureDomains: ['local-a', 'local-b'],
      },
    },
    {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name: cluster, namespace: ns },
      spec: {
        controlPlaneEndpoint: { host: 'api-int.local.capi-fn.test', port: 6443 },
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'LocalCluster',
          name: cluster,
          namespace: ns,
        },
      },
    },
  ];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'worker-user-data', namespace: ns },
      type: 'Opaque',
      data: {
        value: Buffer.from('{"ignition":{"version":"3.4.0"}}').toString('base64'),
        format: Buffer.from('ignition').toString('base64'),
      },
    },
    ...(o.withoutCluster ? [] : clusterObjects),
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalMachineTemplate',
      metadata: { name: template, namespace: ns },
      spec: {
        template: {
          spec: {
            cpus: 4,
            memoryMiB: 16384,
            image: 'rhcos-4.20-local',
            ...(o.bootDelay ? { bootDelay: o.bootDelay } : {}),
          },
        },
      },
    },
    machineSet({
      namespace: ns,
      cluster,
      name: ms,
      template,
      replicas: o.replicas ?? 0,
      ...(o.deletePolicy ? { deletePolicy: o.deletePolicy } : {}),
    }),
  ];
}

export function machineSet(o: {
  namespace: string;
  cluster: string;
  name: string;
  template: string;
  replicas: number;
  deletePolicy?: string;
  templateKind?: string;
  templateApiVersion?: string;
}): KubeObject {
  const labels = { test: 'example', 'cluster.x-k8s.io/cluster-name': o.cluster, 'cluster.x-k8s.io/set-name': o.name };
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineSet',
    metadata: { name: o.name, namespace: o.namespace, labels: { 'cluster.x-k8s.io/cluster-name': o.cluster } },
    spec: {
      clusterName: o.cluster,
      replicas: o.replicas,
      ...(o.deletePolicy ? { deletePolicy: o.deletePolicy } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, 'node-role.kubernetes.io/worker': '' } },
        spec: {
          bootstrap: { dataSecretName: 'worker-user-data' },
          clusterName: o.cluster,
          infrastructureRef: {
            apiVersion: o.templateApiVersion ?? 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: o.templateKind ?? 'LocalMachineTemplate',
            name: o.template,
          },
        },
      },
    },
  };
}

/** Creates what is missing; existing objects are left as the user changed them. */
export async function createMissing(kube: KubeClient, objs: KubeObject[]): Promise<number> {
  let created = 0;
  for (const o of objs) {
    try {
      await kube.create(o);
      created++;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
  return created;
}
