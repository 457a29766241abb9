// Failure domains on vSphere as CAPV models them: a VSphereDeploymentZone (the name a Machine's failureDomain
// gives) points at a VSphereFailureDomain (where in vCenter: datacenter, compute cluster, datastore, networks).
import type { VSphereDeploymentZone, VSphereFailureDomain } from '../../../shared/api/providers/vsphere.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isNotFound } from '../../../shared/kube/errors.ts';

export const FAILURE_DOMAIN_KINDS = {
  zone: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'VSphereDeploymentZone' },
  domain: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'VSphereFailureDomain' },
};

function sameServer(a: string | undefined, b: string | undefined): boolean {
  const host = (s: string | undefined) =>
    (s ?? '')
      .replace(/^https?:\/\//, '')
      .replace(/[/:].*$/, '')
      .toLowerCase();
  return !a || !b || host(a) === host(b);
}

/** The deployment zones of `server` (all when the CRD is not installed: none). */
export async function deploymentZones(kube: KubeClient, server: string | undefined): Promise<VSphereDeploymentZone[]> {
  try {
    const zones = (await kube.listAll<VSphereDeploymentZone>(FAILURE_DOMAIN_KINDS.zone)).items;
    return zones.filter((z) => sameServer(z.spec.server, server));
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

/** Where a Machine's failure domain (a VSphereDeploymentZone name) puts its VM, as CAPV overrides the spec. */
export async function placementOf(
  kube: KubeClient,
  zoneName: string,
): Promise<
  | { ok: true; datacenter: string; resourcePool?: string; folder?: string; datastore?: string; networks: string[] }
  | { ok: false; message: string }
> {
  const zone = await kube.find<VSphereDeploymentZone>({ ...FAILURE_DOMAIN_KINDS.zone, name: zoneName });
  if (!zone) return { ok: false, message: `Machine spec.failureDomain "${zoneName}" is not a VSphereDeploymentZone` };
  const fdName = zone.spec.failureDomain;
  const fd = fdName
    ? await kube.find<VSphereFailureDomain>({ ...FAILURE_DOMAIN_KINDS.domain, name: fdName })
    : undefined;
  if (!fd)
    return {
      ok: false,
      message: `VSphereDeploymentZone ${zoneName} spec.failureDomain "${fdName ?? ''}" is not a VSphereFailureDomain`,
    };
  const t = fd.spec.topology;
  const pool =
    zone.spec.placementConstraint?.resourcePool ?? (t.computeCluster ? `${t.computeCluster}/Resources` : undefined);
  return {
    ok: true,
    datacenter: t.datacenter,
    ...(pool ? { resourcePool: pool } : {}),
    ...(zone.spec.placementConstraint?.folder ? { folder: zone.spec.placementConstraint.folder } : {}),
    ...(t.datastore ? { datastore: t.datastore } : {}),
    networks: t.networks ?? [],
  };
}
