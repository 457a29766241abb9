// OpenStackMachine on the kit (reference §1.2–§1.6): references resolved once and recorded in status.resolved before
// anything is created, then ports, volumes and the server in the Machine's availability zone; the status from Nova
// (instanceState, ready, initialization.provisioned, instanceID, addresses, resources.ports); after the server is
// gone, its ports and volumes. Intent, lease, lookup before create, ownership, finalizer, conditions and deletion
// are the kit's.

import { OpenStackMachineFinalizer } from '../../../shared/api/providers/constants.ts';
import type { OpenStackCluster, OpenStackMachine } from '../../../shared/api/providers/openstack.ts';
import type { InfraMachineDefinition, Prepared } from '../kit/definition.ts';
import { apiOf, connectOpenStack, type OpenStackClient } from './credentials.ts';
import { classifyOpenStackError } from './errors.ts';
import { parseProviderID } from './names.ts';
import { type CreatedResources, openstackPort, releaseLeftovers } from './port.ts';
import { buildServerRequest, type ResolvedMachine, type ServerRequest, specProblems } from './request.ts';
import { resolveMachine } from './resolve.ts';

export const OPENSTACK_API_VERSION = 'infrastructure.cluster.x-k8s.io/v1beta1';
export const OPENSTACK_MACHINE = { apiVersion: OPENSTACK_API_VERSION, kind: 'OpenStackMachine' };
export const OPENSTACK_FIELD_MANAGER = 'capi-fn-openstack-provider';

type Status = NonNullable<OpenStackMachine['status']>;

/** Resolution recorded by an earlier pass, when it is complete. */
function recorded(im: OpenStackMachine): (ResolvedMachine & { imageID: string; flavorID: string }) | undefined {
  const r = im.status?.resolved;
  return r?.imageID && r.flavorID && r.ports?.length
    ? (r as ResolvedMachine & { imageID: string; flavorID: string })
    : undefined;
}

export const openstackMachineDefinition: InfraMachineDefinition<
  OpenStackClient,
  ServerRequest,
  OpenStackMachine,
  OpenStackCluster
> = {
  name: 'openstack',
  machine: OPENSTACK_MACHINE,
  clusterKind: 'OpenStackCluster',
  finalizer: OpenStackMachineFinalizer,
  fieldManager: OPENSTACK_FIELD_MANAGER,
  cloudName: 'OpenStack',
  instanceNoun: 'server',
  recordedIdField: 'spec.providerID',
  deletingState: 'DELETING',
  // The region of the providerID comes only from the machine's own identityRef (CAPO).
  port: (client, location) => openstackPort(apiOf(client), { region: location }),
  classify: classifyOpenStackError,
  locate: ({ im }) => parseProviderID(im.spec.providerID)?.region || im.spec.identityRef?.region || undefined,
  recordedId: (im) => parseProviderID(im.spec.providerID)?.serverId,
  recordIdentity(spec, inst) {
    spec.providerID = inst.providerID;
  },
  connect: (client, s) =>
    connectOpenStack(
      client,
      s.kube,
      s.im.metadata.namespace!,
      s.im.spec.identityRef ?? s.infraCluster?.spec.identityRef,
    ),

  async prepare(s): Promise<Prepared<ServerRequest>> {
    const { im } = s;
    const problems = specProblems(im.spec, 'spec');
    if (problems.length)
      return {
        ok: false,
        reason: 'InvalidMachineSpec',
        message: problems.map((p) => `${p.field}: ${p.rule}; ${p.fix}`).join('; '),
      };
    if (!s.infraCluster)
      return {
        ok: false,
        reason: 'OpenStackClusterNotFound',
        message: "the Cluster's OpenStackCluster (spec.infrastructureRef) is not found",
      };
    let resolved = recorded(im);
    let fresh = false;
    if (!resolved) {
      const r = await resolveMachine({
        api: apiOf(s.client),
        name: im.metadata.name!,
        namespace: im.metadata.namespace!,
        clusterName: s.cluster.metadata.name!,
        spec: im.spec,
        cluster: s.infraCluster,
      });
      if (!r.ok) return { ok: false, reason: r.reason, message: r.message };
      resolved = r.resolved;
      fresh = true;
    }
    const built = buildServerRequest({
      name: im.metadata.name!,
      spec: im.spec,
      resolved,
      machineUid: s.machineUid,
      clusterName: s.cluster.metadata.name!,
      availabilityZone: s.machine.spec.failureDomain,
      clusterTags: s.infraCluster.spec.tags ?? [],
      userData: s.bootstrap.value,
    });
    if (!built.ok)
      return { ok: false, reason: 'InvalidMachineSpec', message: built.problems.join('; '), terminal: false };
    return { ok: true, request: built.request, ...(fresh ? { status: { resolved } } : {}) };
  },

  async observe(inst, _s, status) {
    const st = status as Status & Record<string, unknown>;
    st.instanceID = inst.id;
    if (st.ready) st.initialization = { ...(st.initialization ?? {}), provisioned: true };
    const created = (inst.raw as { capiFnCreated?: CreatedResources } | undefined)?.capiFnCreated;
    if (created?.ports.length) st.resources = { ...(st.resources ?? {}), ports: created.ports.map((id) => ({ id })) };
  },

  async cleanUp(s) {
    if (!s.machineUid) return { remaining: [] };
    const spec = s.im.spec;
    const trunks = Boolean(spec.trunk || spec.ports?.some((p) => p.trunk));
    const volumes = Boolean(spec.rootVolume || spec.additionalBlockDevices?.some((d) => d.storage.type === 'Volume'));
    const ports = s.im.status?.resolved?.ports?.map((p) => ({ name: p.name, networkID: p.networkID }));
    const attached = await releaseLeftovers(apiOf(s.client), s.machineUid, { trunks, volumes, ports });
    return { remaining: attached.map((id) => `volume ${id} (still attached)`) };
  },
};
