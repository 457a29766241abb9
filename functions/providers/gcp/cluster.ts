// GCPCluster on the kit, in OpenShift's externally managed mode: nothing is created. Ready when the project
// answers and the region has zones; the region's zones that are up (or spec.failureDomains) become the
// failure domains.
import type { GCPCluster } from '../../../shared/api/providers/gcp.ts';
import type { CheckResult, InfraClusterDefinition } from '../kit/definition.ts';
import { reasonFromCode } from '../kit/errors.ts';
import type { GceApi } from './client.ts';
import { connectGcp } from './credentials.ts';
import { classifyGcpError } from './errors.ts';
import { GCP_FIELD_MANAGER } from './machine.ts';
import { lastSegment } from './names.ts';

export const GCP_CLUSTER_MANAGER = 'capi-fn-gcp-provider';
export const REGION_READY = 'RegionReady';

export const gcpClusterDefinition: InfraClusterDefinition<GceApi, GCPCluster> = {
  name: 'gcp',
  cluster: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'GCPCluster' },
  fieldManager: GCP_FIELD_MANAGER,
  manager: GCP_CLUSTER_MANAGER,
  checks: [REGION_READY],
  connect: (api, s) => connectGcp(api, s.kube, s.ic, s.ic.metadata.namespace!),
  async assess(gc, api) {
    const { project, region } = gc.spec;
    let zones: string[];
    try {
      zones = (await api.listZones(project))
        .filter((z) => lastSegment(z.region) === region && (z.status ?? 'UP') === 'UP')
        .map((z) => z.name)
        .sort();
    } catch (e) {
      const c = classifyGcpError(e);
      if (c.class === 'unknown') throw e;
      const r: CheckResult = {
        ok: false,
        reason: reasonFromCode(c.code),
        message: `cannot list the zones of project ${project} (spec.project): ${c.code}: ${c.message}`,
      };
      return { checks: { [REGION_READY]: r } };
    }
    if (!zones.length) {
      return {
        checks: {
          [REGION_READY]: {
            ok: false,
            reason: 'RegionNotFound',
            message: `region ${region} (spec.region) has no zones that are up in project ${project}`,
          },
        },
      };
    }
    const wanted = gc.spec.failureDomains?.length ? gc.spec.failureDomains : zones;
    const unknown = wanted.filter((z) => !zones.includes(z));
    if (unknown.length) {
      return {
        checks: {
          [REGION_READY]: {
            ok: false,
            reason: 'ZoneNotFound',
            message: `spec.failureDomains ${unknown.join(', ')} are not zones of ${region}`,
          },
        },
      };
    }
    return {
      checks: { [REGION_READY]: { ok: true } },
      failureDomains: Object.fromEntries(wanted.map((z) => [z, { controlPlane: true }])),
    };
  },
};
