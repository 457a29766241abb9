// OpenStackCluster on the kit, in OpenShift's externally managed mode (reference §1.8): nothing is created. Ready
// when the credentials work, the network it names (spec.network, by ID or filter) exists — recorded with its
// subnets in status.network for machines that declare no ports — and Nova has availability zones; the available
// zones (or spec.controlPlaneAvailabilityZones) become the failure domains.
import type { OpenStackCluster } from '../../../shared/api/providers/openstack.ts';
import type { CheckResult, InfraClusterDefinition } from '../kit/definition.ts';
import { reasonFromCode } from '../kit/errors.ts';
import { apiOf, connectOpenStack, type OpenStackClient } from './credentials.ts';
import { classifyOpenStackError } from './errors.ts';
import { OPENSTACK_API_VERSION, OPENSTACK_FIELD_MANAGER } from './machine.ts';
import { neutronQuery } from './resolve.ts';

export const OPENSTACK_CLUSTER_MANAGER = 'capi-fn-openstack-provider';
export const NETWORK_READY = 'NetworkReady';

export const openstackClusterDefinition: InfraClusterDefinition<OpenStackClient, OpenStackCluster> = {
  name: 'openstack',
  cluster: { apiVersion: OPENSTACK_API_VERSION, kind: 'OpenStackCluster' },
  fieldManager: OPENSTACK_FIELD_MANAGER,
  manager: OPENSTACK_CLUSTER_MANAGER,
  checks: [NETWORK_READY],
  connect: (client, s) => connectOpenStack(client, s.kube, s.ic.metadata.namespace!, s.ic.spec.identityRef),
  async assess(oc, client) {
    const fail = (reason: string, message: string) => ({
      checks: { [NETWORK_READY]: { ok: false, reason, message } as CheckResult },
    });
    try {
      const api = apiOf(client);
      const zones = (await api.listAvailabilityZones())
        .filter((z) => z.zoneState.available)
        .map((z) => z.zoneName)
        .sort();
      const wanted = oc.spec.controlPlaneAvailabilityZones?.length ? oc.spec.controlPlaneAvailabilityZones : zones;
      const unknown = wanted.filter((z) => !zones.includes(z));
      if (unknown.length)
        return fail(
          'AvailabilityZoneNotFound',
          `spec.controlPlaneAvailabilityZones ${unknown.join(', ')} are not available Nova zones (${zones.join(', ') || 'none'})`,
        );
      let network: Record<string, unknown> | undefined;
      const ref = oc.spec.network;
      if (ref?.id || ref?.filter) {
        const nets = ref.id
          ? await api.listNetworks({ id: ref.id })
          : await api.listNetworks(neutronQuery(ref.filter!));
        if (nets.length !== 1)
          return fail(
            'NetworkNotFound',
            `spec.network${ref.id ? '.id' : '.filter'}: ${nets.length ? `${nets.length} networks match` : 'no network matches'} ${JSON.stringify(ref.id ?? ref.filter)}`,
          );
        const net = nets[0]!;
        const subnets = await api.listSubnets({ network_id: net.id });
        network = {
          id: net.id,
          name: net.name,
          ...(net.tags?.length ? { tags: net.tags } : {}),
          subnets: subnets.map((s) => ({ id: s.id, name: s.name, cidr: String(s.cidr ?? '') })),
        };
      }
      return {
        checks: { [NETWORK_READY]: { ok: true } },
        failureDomains: Object.fromEntries(wanted.map((z) => [z, { controlPlane: true }])),
        status: { initialization: { provisioned: true }, ...(network ? { network } : {}) },
      };
    } catch (e) {
      const c = classifyOpenStackError(e);
      if (c.class === 'unknown') throw e;
      return fail(
        reasonFromCode(c.code),
        `cannot reach OpenStack with the identityRef's credentials: ${c.code}: ${c.message}`,
      );
    }
  },
};
