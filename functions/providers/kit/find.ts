// The instance standing for a machine: by the cloud ID recorded in the spec when there is one (never a new
// instance then), else by the Machine's identity in a live state. The ownership rule applies to both: a
// recorded ID naming an instance without capi-fn's marker for this Machine or cluster is never adopted.
import type { InfraMachine, InfraMachineDefinition, KitTimings, MachineScope } from './definition.ts';
import { ADOPT_ANNOTATION, type CloudInstance, type CloudPort, ownedBy } from './port.ts';
import { identityOf } from './scope.ts';
import { pickInstance } from './status.ts';

export type FindResult =
  | { kind: 'found'; instance: CloudInstance; extras: CloudInstance[] }
  | { kind: 'none' }
  /** The recorded instance is not visible yet (eventual consistency right after a create). */
  | { kind: 'not-visible'; waitMs: number }
  /** The recorded instance does not exist. */
  | { kind: 'missing'; id: string }
  /** The recorded instance exists but carries no marker of this Machine or cluster. */
  | { kind: 'foreign'; instance: CloudInstance };

/** The recorded instance, or undefined when the cloud says it does not exist. */
export async function getRecorded<Req>(
  def: InfraMachineDefinition<unknown, Req>,
  port: CloudPort<Req>,
  id: string,
): Promise<CloudInstance | undefined> {
  try {
    return await port.get(id);
  } catch (e) {
    if (def.classify(e).class === 'not-found') return undefined;
    throw e;
  }
}

/** Whether the instance may be adopted or deleted on behalf of this machine (see port.ts, `ownedBy`). */
export function mayManage(
  inst: CloudInstance,
  im: InfraMachine,
  s: Pick<MachineScope, 'machineUid' | 'clusterName'>,
): boolean {
  return (
    ownedBy(inst.owner, { machineUid: s.machineUid, clusterName: s.clusterName }) ||
    im.metadata.annotations?.[ADOPT_ANNOTATION] === inst.id
  );
}

export async function findInstance<Req>(
  def: InfraMachineDefinition<unknown, Req>,
  port: CloudPort<Req>,
  s: MachineScope & { machineUid: string },
  now: Date,
  t: KitTimings,
): Promise<FindResult> {
  const recorded = def.recordedId?.(s.im);
  if (recorded) {
    const inst = await getRecorded(def, port, recorded);
    if (inst)
      return mayManage(inst, s.im, s)
        ? { kind: 'found', instance: inst, extras: [] }
        : { kind: 'foreign', instance: inst };
    const started = s.intent?.startedAt ? Date.parse(s.intent.startedAt) : Number.NaN;
    const age = now.getTime() - started;
    if (Number.isFinite(age) && age >= 0 && age < t.notFoundGraceMs)
      return { kind: 'not-visible', waitMs: t.transitionPollMs };
    return { kind: 'missing', id: recorded };
  }
  // Only instances carrying this Machine's identity: a name-based cloud may hold another Machine's instance
  // under the same name (a Machine replaced under its old name while the old instance still shuts down).
  const live = (await port.find(identityOf(s.im, s.machineUid, s.clusterName))).filter(
    (i) => i.state !== 'terminating' && i.state !== 'gone' && i.owner.machineUid === s.machineUid,
  );
  const { keep, extras } = pickInstance(live);
  return keep ? { kind: 'found', instance: keep, extras } : { kind: 'none' };
}
