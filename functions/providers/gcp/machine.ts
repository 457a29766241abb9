// GCPMachine on the kit (reference §3): the instances.insert body from the spec, the GCPCluster and the references
// resolved before the call (image or family, machine type, subnetwork), in the Machine's zone. Intent, lease,
// lookup by name, ownership, finalizer, conditions and deletion are the kit's.

import { GCPMachineFinalizer } from '../../../shared/api/providers/constants.ts';
import type { GCPCluster, GCPMachine } from '../../../shared/api/providers/gcp.ts';
import type { InfraMachineDefinition, Prepared } from '../kit/definition.ts';
import { type GceApi, type GceInstance, GoogleApiError } from './client.ts';
import { connectGcp } from './credentials.ts';
import { classifyGcpError } from './errors.ts';
import { formatLocation, parseLocation, parseProviderID, regionOfZone } from './names.ts';
import { gcpPort } from './port.ts';
import { buildInsertBody, imageRef } from './request.ts';

export const GCP_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'GCPMachine' };
export const GCP_FIELD_MANAGER = 'capi-fn-gcp-provider';

async function exists<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof GoogleApiError && e.status === 404) return undefined;
    throw e;
  }
}

export const gcpMachineDefinition: InfraMachineDefinition<GceApi, GceInstance, GCPMachine, GCPCluster> = {
  name: 'gcp',
  machine: GCP_MACHINE,
  clusterKind: 'GCPCluster',
  finalizer: GCPMachineFinalizer,
  fieldManager: GCP_FIELD_MANAGER,
  cloudName: 'Compute Engine',
  instanceNoun: 'GCE instance',
  recordedIdField: 'spec.providerID',
  deletingState: 'STOPPING',
  port: (api, location) => gcpPort(api, location),
  classify: classifyGcpError,
  locate({ im, machine, infraCluster, intent }) {
    const recorded = parseProviderID(im.spec.providerID);
    if (recorded) return formatLocation(recorded.project, recorded.zone);
    const fromIntent = parseLocation(intent?.location);
    const project = infraCluster?.spec?.project ?? fromIntent.project;
    if (!project) return undefined;
    // CAPG: a Machine without a failure domain goes to the first (sorted) failure domain of the cluster.
    const first = Object.keys(infraCluster?.status?.failureDomains ?? {}).sort()[0];
    return formatLocation(project, machine?.spec.failureDomain ?? fromIntent.zone ?? first);
  },
  recordedId: (gm) => parseProviderID(gm.spec.providerID)?.name,
  recordIdentity(spec, inst) {
    spec.providerID = inst.providerID;
  },
  connect: (api, s) => connectGcp(api, s.kube, s.infraCluster, s.im.metadata.namespace!),

  async prepare(s): Promise<Prepared<GceInstance>> {
    const { im: gm, client: api } = s;
    const project = s.infraCluster?.spec?.project;
    if (!s.infraCluster || !project) {
      return {
        ok: false,
        reason: 'GCPClusterNotFound',
        message: `the Cluster's GCPCluster (spec.project) is not found`,
      };
    }
    const { zone } = parseLocation(s.location);
    if (!zone) {
      return {
        ok: false,
        reason: 'ZoneNotSet',
        message:
          'Machine spec.failureDomain is not set and the GCPCluster has no failure domains yet; a GCE instance needs a zone: set spec.template.spec.failureDomain on the MachineSet',
      };
    }
    const region = s.infraCluster.spec.region || regionOfZone(zone);
    if (regionOfZone(zone) !== region) {
      return {
        ok: false,
        reason: 'ZoneNotInRegion',
        message: `Machine spec.failureDomain "${zone}" is not a zone of the GCPCluster's region ${region}`,
      };
    }
    const image = imageRef(gm.spec, project);
    if ('problem' in image) return { ok: false, reason: 'ImageNotFound', message: image.problem };
    const img = await exists(() => api.getImage(image.project, image.image));
    if (!img) {
      return {
        ok: false,
        reason: 'ImageNotFound',
        message: `${image.field} "${image.image}" does not exist in project ${image.project}`,
      };
    }
    const type = await exists(() => api.getMachineType(project, zone, gm.spec.instanceType));
    if (!type) {
      return {
        ok: false,
        reason: 'InstanceTypeNotFound',
        message: `spec.instanceType "${gm.spec.instanceType}" is not a machine type of zone ${zone}`,
      };
    }
    let subnetwork: string | undefined;
    if (gm.spec.subnet) {
      const netProject = s.infraCluster.spec.network?.hostProject ?? project;
      const sub = await exists(() => api.getSubnetwork(netProject, region, gm.spec.subnet!));
      if (!sub) {
        return {
          ok: false,
          reason: 'SubnetNotFound',
          message: `spec.subnet "${gm.spec.subnet}" is not a subnetwork of project ${netProject} in region ${region}`,
        };
      }
      subnetwork = `projects/${netProject}/regions/${region}/subnetworks/${gm.spec.subnet}`;
    }
    const built = buildInsertBody({
      name: gm.metadata.name!,
      project,
      zone,
      spec: gm.spec,
      cluster: s.infraCluster,
      clusterName: s.machine.spec.clusterName,
      machineUid: s.machineUid,
      role: s.role,
      sourceImage: img.selfLink ?? `projects/${image.project}/global/images/${img.name}`,
      subnetwork,
      userData: s.bootstrap.value.toString('utf8'),
    });
    if (!built.ok) return { ok: false, reason: 'InvalidSpec', message: built.problems.join('; ') };
    return { ok: true, request: built.body };
  },
};
