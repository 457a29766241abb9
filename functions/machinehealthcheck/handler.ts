// The MachineHealthCheck handler: what wakes it and what it reconciles. A Machine or its Node changing wakes the
// checks that select that Machine; a Cluster changing (control plane initialised, infrastructure ready, paused)
// wakes the checks of that cluster.
import { CAPI_API_VERSION, CAPI_GROUP, Labels } from '../../shared/api/capi/constants.ts';
import type { MachineHealthCheck } from '../../shared/api/capi/machinehealthcheck.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { ObjectRef, ResourceEvent } from '../../shared/events/resource-event.ts';
import { EVENT_ACCESS } from '../../shared/kube/events.ts';
import { matchesSelector } from '../../shared/kube/selectors.ts';
import { defineHandler, type MapContext } from '../../shared/runtime/handler.ts';
import { listedBy } from '../../shared/runtime/mappers.ts';
import { nodeToMachines } from '../machine/handler.ts';
import { reconcileMachineHealthCheck } from './reconcile.ts';

const MHC = { apiVersion: CAPI_API_VERSION, kind: 'MachineHealthCheck' };

function selects(machine: KubeObject) {
  const cluster = machine.metadata.labels?.[Labels.clusterName];
  return (mhc: KubeObject) => {
    const spec = (mhc as MachineHealthCheck).spec;
    return spec?.clusterName === cluster && matchesSelector(machine.metadata.labels, spec.selector);
  };
}

/** A Machine → the checks in its namespace that select it. */
const machineToChecks = listedBy(MHC, (m) => ({ filter: selects(m) }));

/** A Node → its Machine → the checks that select that Machine. */
async function nodeToChecks(event: ResourceEvent, ctx: MapContext): Promise<ObjectRef[]> {
  const out = new Map<string, ObjectRef>();
  for (const ref of await nodeToMachines(event, ctx)) {
    const m = await ctx.kube.find(ref);
    if (!m) continue;
    const checks = await ctx.kube.listAll(MHC, { namespace: m.metadata.namespace! });
    for (const c of checks.items.filter(selects(m)))
      out.set(`${c.metadata.namespace}/${c.metadata.name}`, {
        ...MHC,
        namespace: c.metadata.namespace!,
        name: c.metadata.name!,
        uid: c.metadata.uid!,
      });
  }
  return [...out.values()];
}

const GATE = { group: CAPI_GROUP, kind: 'MachineHealthCheck' };

export const machineHealthCheckHandler = defineHandler({
  name: 'machinehealthcheck',
  reconciles: MHC,
  watches: [
    // Its own status writes must not wake it again (DESIGN.md rule 1).
    { group: CAPI_GROUP, kind: 'MachineHealthCheck', statusChanges: false },
    // Status too: a nodeRef, a failure, InfrastructureReady are what it judges. None of these matter while no
    // MachineHealthCheck exists beside them (most clusters have none): the bus then never delivers them, and a
    // MachineHealthCheck's own creation wakes it to judge everything it selects.
    { group: CAPI_GROUP, kind: 'Machine', map: machineToChecks, whenExists: GATE },
    { group: '', kind: 'Node', version: 'v1', map: nodeToChecks, whenExists: GATE },
    {
      group: CAPI_GROUP,
      kind: 'Cluster',
      map: listedBy(MHC, (c) => ({
        filter: (mhc) => (mhc as MachineHealthCheck).spec?.clusterName === c.metadata.name,
      })),
      whenExists: GATE,
    },
  ],
  reads: [{ group: '', kinds: ['Node'], verbs: ['get', 'list'] }],
  writes: [
    // Its label and Cluster owner, then its status.
    { group: CAPI_GROUP, kinds: ['MachineHealthCheck'], verbs: ['update'] },
    { group: CAPI_GROUP, kinds: ['MachineHealthCheck'], subresource: 'status', verbs: ['update'] },
    // HealthCheckSucceeded and OwnerRemediated on the Machines it selects (the MachineSet deletes and replaces).
    { group: CAPI_GROUP, kinds: ['Machine'], subresource: 'status', verbs: ['update'] },
    // MachineMarkedUnhealthy, RemediationRestricted.
    EVENT_ACCESS,
  ],
  reconcile: reconcileMachineHealthCheck,
});
