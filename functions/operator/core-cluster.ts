// The core cluster step (openshift-capi.md §1.6, "Core cluster controller", 4.19+): the Cluster named after the
// cluster ID in openshift-cluster-api, pointing at the infrastructure cluster, with the API server's internal
// endpoint. Nothing manages the control plane, so the operator declares it initialised.
import type { APIEndpoint, Cluster } from '../../shared/api/capi/cluster.ts';
import { CAPI_API_VERSION, ConditionTypes } from '../../shared/api/capi/constants.ts';
import { Namespaces, type PlatformProvider } from '../../shared/api/openshift/constants.ts';
import { type Condition, isTrue, setCondition, trueCondition } from '../../shared/conditions/conditions.ts';

/**
 * Host and port of `status.apiServerInternalURI` (Go's url.Parse + SplitHostPort, as the operator does). A URI
 * without a port gets the scheme's default, so the result is always a valid CAPI endpoint or undefined.
 */
export function parseEndpoint(uri: string | undefined): APIEndpoint | undefined {
  if (!uri) return undefined;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (!u.hostname) return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : NaN;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host, port };
}

export interface DesiredClusterInput {
  infrastructureName: string;
  provider: PlatformProvider;
  endpoint: APIEndpoint;
}

export function desiredCluster(i: DesiredClusterInput): Cluster {
  return {
    apiVersion: CAPI_API_VERSION,
    kind: 'Cluster',
    metadata: { name: i.infrastructureName, namespace: Namespaces.clusterAPI },
    spec: {
      controlPlaneEndpoint: { host: i.endpoint.host, port: i.endpoint.port },
      infrastructureRef: {
        apiVersion: i.provider.infraClusterAPIVersion,
        kind: i.provider.infraClusterKind,
        name: i.infrastructureName,
        namespace: Namespaces.clusterAPI,
      },
    },
  };
}

/**
 * The Cluster's v1beta1 conditions with `ControlPlaneInitialized=True`, or undefined when it already is (the
 * condition is sticky: once True nobody sets it back, so there is nothing to write).
 */
export function withControlPlaneInitialized(conds: Condition[] | undefined, now: Date): Condition[] | undefined {
  if (isTrue(conds, ConditionTypes.controlPlaneInitialized)) return undefined;
  return setCondition(conds, trueCondition(ConditionTypes.controlPlaneInitialized), now);
}
