// What the Metal3 tests share: the Cluster and Metal3Cluster as the operator creates them on bare metal
// (externally managed, no cloud provider), and the worker user data Secret.
import type { KubeObject } from '../../../shared/api/meta.ts';

export const IGNITION = '{"ignition":{"version":"3.4.0"}}';
const ENDPOINT = { host: 'api-int.ocp-bm.example.com', port: 6443 };

/** The Cluster and its Metal3Cluster, named alike. */
export function metal3Cluster(name: string, namespace: string): KubeObject[] {
  return [
    {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name, namespace },
      spec: {
        controlPlaneEndpoint: ENDPOINT,
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'Metal3Cluster',
          name,
          namespace,
        },
      },
    } as KubeObject,
    {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'Metal3Cluster',
      metadata: { name, namespace },
      spec: { controlPlaneEndpoint: ENDPOINT, noCloudProvider: true },
    } as KubeObject,
  ];
}

/** The user data Secret; `userData` only (as copied from openshift-machine-api) or `value` + `format`. */
export function userDataSecret(name: string, namespace: string, shape: 'userData' | 'value' = 'userData'): KubeObject {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: shape === 'userData' ? { userData: b64(IGNITION) } : { value: b64(IGNITION), format: b64('ignition') },
  } as KubeObject;
}
