// AdmissionReview requests for an infrastructure kind in openshift-cluster-api, as the API server sends them, and
// the denial text of a response: what the providers' admission-rule tests share.
import type { AdmissionRequest, AdmissionResponse } from '../../functions/webhooks/admission-review.ts';

export const INFRA_NS = 'openshift-cluster-api';

/** A request about `kind` (infrastructure.cluster.x-k8s.io/`version`) named x; `old` makes it an UPDATE's. */
export function infraRequest(
  version: string,
  kind: string,
  o: Record<string, unknown>,
  operation: 'CREATE' | 'UPDATE' = 'CREATE',
  old?: unknown,
): AdmissionRequest {
  return {
    uid: 'u',
    kind: { group: 'infrastructure.cluster.x-k8s.io', version, kind },
    operation,
    namespace: INFRA_NS,
    name: 'x',
    object: {
      apiVersion: `infrastructure.cluster.x-k8s.io/${version}`,
      kind,
      metadata: { name: 'x', namespace: INFRA_NS },
      ...o,
    },
    oldObject: (old as never) ?? null,
  };
}

/** The denial message, or '' when admitted. */
export function deniedMessage(r: AdmissionResponse): string {
  return r.allowed ? '' : (r.status?.message ?? '');
}
