// `defineHandler`: the declarative shape of every reconcile function (DESIGN.md, "Contracts").
// The same declaration drives the local host's routing, the bus rules and serverless.yml.
import type { Subscription } from '../bus/types.ts';
import {
  CONTROLLER_DELETING,
  EVENT_TYPE_PREFIX,
  type Gate,
  type GroupKind,
  type ObjectRef,
  type ResourceEvent,
  unchangedExtension,
} from '../events/resource-event.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from './logger.ts';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface MapContext {
  kube: KubeClient;
  log: Logger;
}

export interface Watch {
  /** API group of the watched kind ('' for core). */
  group: string;
  kind: string;
  /** A version the bridge can watch it at (the group's preferred version if absent). */
  version?: string;
  /**
   * Which objects an event of this kind should reconcile. Absent: the object itself (the watched kind
   * must then be the reconciled kind). May read the API (e.g. Node → Machine by providerID).
   */
  map?: (event: ResourceEvent, ctx: MapContext) => Promise<ObjectRef[]> | ObjectRef[];
  /** False: modifications that touch only `status` do not wake the handler (default true). */
  statusChanges?: boolean;
  /**
   * False: modifications that touch only metadata (labels, annotations, finalizers, owner references; not a
   * deletion) do not wake the handler (default true). For watches whose handler reads only the kind's spec and
   * status, such as the Machine handler's of infrastructure machines: their providers' finalizers and intents.
   */
  metadataChanges?: boolean;
  /**
   * Only these changes of the kind wake the handler (default: every one). Applied in each bus's routing (rules,
   * filters, Triggers), so the others are never delivered: e.g. a Cluster that only needs to hear that one of its
   * Machines is gone.
   */
  events?: Array<'added' | 'modified' | 'deleted' | 'resync'>;
  /**
   * The kind's events matter only while an object of this kind exists in the event object's namespace (anywhere,
   * for a cluster-scoped kind): e.g. Machines and Nodes to the MachineHealthCheck handler. The bridge watches that
   * kind too and flags events it knows have none (`capifnnone<kind>`); every bus's routing skips them, and the
   * runtime drops them where a filter had to be widened. Safe because the gate kind's own watch wakes the handler
   * when one appears, and that reconcile reads everything it judges. With `deleting`, only while such an object is
   * being deleted there: e.g. a Cluster, which waits for its Machines to go only once it is deleting (its own event,
   * the deletion, wakes it first).
   */
  whenExists?: Gate;
  /**
   * Modifications that change nothing but these paths (each a list of keys: `['spec', 'providerID']`, a label
   * `['metadata', 'labels', key]`, `['metadata']` for all of it, the deletion included), and `status` when the watch
   * says `statusChanges: false`, do not wake the handler. The bridge flags such
   * modifications (`unchangedExtension`) and every bus's routing skips them: e.g. the Machine's providerID, which the
   * Machine handler copies itself and a provider's infrastructure machine is the source of.
   */
  ignoring?: string[][];
  /**
   * Modifications of an object whose controller of this kind is being deleted do not wake the handler (its deletion
   * still does). For a handler that, once that controller is deleting, waits only for the object to be gone: the
   * Machine handler and its infrastructure machine, which a provider keeps writing while it tears the instance down.
   * The bridge learns which controllers are being deleted from its own watch of their kind (a handler must watch it);
   * one it does not know of yet (another watch stream's lag, a resume from a checkpoint) flags nothing. Carried in the
   * watch's ignored paths as `[CONTROLLER_DELETING, group, kind]` (`ignoredPaths`).
   */
  ignoringWhileControllerDeleting?: GroupKind;
  /**
   * Its additions matter only for an object that already has a controller of this kind (or is being deleted): the
   * bridge flags the others with the watch's skip flag (`unchangedExtension`), which every bus's routing skips. For a
   * kind whose objects nothing can be done for until that controller adopts them, such as an infrastructure machine,
   * which a MachineSet creates before its Machine: the owner reference the Machine handler then adds is a modification
   * of the object, and wakes the handler. So the watch may not ignore owner references or metadata-only changes.
   */
  addedOnceControlledBy?: GroupKind;
  /**
   * Only objects in these namespaces matter: the bridge watches (and may read) the kind only there. Absent: every
   * namespace. Secrets are watched this way, so no Secret of the rest of the cluster is read or published.
   */
  namespaces?: string[];
}

/** An RBAC verb of the Kubernetes API. */
export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/**
 * Something a function does in the Kubernetes API beyond watching (get, list and watch of its watched kinds come
 * from `watches`). Each function's ServiceAccount gets exactly these rights (infra/rbac/, `npm run gen:rbac`), and a
 * test replays its tests' calls against them, so a call missing here fails there.
 */
export interface KubeAccess {
  /** API group ('' for core). */
  group: string;
  /** Kinds of the group treated alike (a core handler reaches every provider's infrastructure kinds). */
  kinds: string[];
  verbs: KubeVerb[];
  /** The rule covers `<resource>/<subresource>` (status, scale, eviction, token) instead of the resource. */
  subresource?: string;
  /**
   * Only in these namespaces (a Role in each). `workload`: the namespaces the Cluster API objects live in, fixed
   * when the files are generated (OpenShift's openshift-cluster-api). Absent: every namespace (a ClusterRole).
   */
  namespaces?: string[] | 'workload';
  /** Only these objects (RBAC resourceNames); RBAC cannot restrict list, watch or create by name. */
  names?: string[];
}

export interface ReconcileResult {
  /** Look at the object again after this many milliseconds even if nothing changes. */
  requeueAfter?: number;
  /**
   * How many objects this reconcile LISTed to answer its event (a MachineSet's Machines). A host that gathers
   * the events other objects send one target (the local host's reconcile gate) waits for more of them before the
   * next run, so one LIST answers many; the others ignore it.
   */
  listed?: number;
}

export interface HandlerContext<C = unknown> {
  kube: KubeClient;
  cloud: C;
  clock: Clock;
  log: Logger;
  /** The event that woke the handler (a hint only: reconcile reads current state). */
  event: ResourceEvent;
  /** The handler's own name, e.g. for field managers and Kubernetes Events. */
  handler: string;
}

export interface HandlerDefinition<C = unknown> {
  name: string;
  /** The kind `reconcile` is called for. */
  reconciles: { apiVersion: string; kind: string };
  watches: Watch[];
  /** What reconcile and the watch maps read beyond the watched kinds (get, list). */
  reads?: KubeAccess[];
  /** What reconcile writes (create, update, patch, delete). */
  writes?: KubeAccess[];
  /** Builds the provider's cloud client once per process (credentials from the platform's standard chain). */
  cloud?: () => C | Promise<C>;
  reconcile(ref: ObjectRef, ctx: HandlerContext<C>): Promise<ReconcileResult | undefined>;
}

export function defineHandler<C = undefined>(def: HandlerDefinition<C>): HandlerDefinition<C> {
  const names = new Set<string>();
  for (const w of def.watches) {
    const key = `${w.group}/${w.kind}`;
    if (names.has(key)) throw new Error(`handler ${def.name}: ${key} is watched twice`);
    names.add(key);
    if ((w.ignoring || w.ignoringWhileControllerDeleting || w.addedOnceControlledBy) && w.whenExists) {
      // One skip flag per watch: bus filters carry one.
      throw new Error(
        `handler ${def.name}: ${key} may not say \`whenExists\` with \`ignoring\`, \`ignoringWhileControllerDeleting\` or \`addedOnceControlledBy\``,
      );
    }
    if (w.ignoring?.some((p) => !p.length || p[0] === CONTROLLER_DELETING)) {
      throw new Error(`handler ${def.name}: ${key} has an empty or marked path in \`ignoring\``);
    }
    const by = w.ignoringWhileControllerDeleting;
    if (by && !def.watches.some((x) => x.group === by.group && x.kind === by.kind)) {
      // The bridge learns of a deleting controller only from a watch of its kind.
      throw new Error(
        `handler ${def.name}: ${key} says \`ignoringWhileControllerDeleting\` ${by.group}/${by.kind}, which it does not watch`,
      );
    }
    if (
      w.addedOnceControlledBy &&
      (w.metadataChanges === false ||
        w.events?.includes('modified') === false ||
        (w.ignoring ?? []).some((p) => p[0] === 'metadata' && (p.length === 1 || p[1] === 'ownerReferences')))
    ) {
      // The adoption is a metadata-only modification: a watch that skips it would never hear of the object.
      throw new Error(
        `handler ${def.name}: ${key} says \`addedOnceControlledBy\`, so it must hear owner reference changes (no \`metadataChanges: false\`, no ignored owner references, modifications taken)`,
      );
    }
  }
  if (!/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/.test(def.name)) {
    throw new Error(
      `handler name "${def.name}" must be 3-40 lowercase letters, digits or '-' (it names queues and functions)`,
    );
  }
  return def;
}

/**
 * The paths whose changes a watch with `ignoring` never needs to hear of: those, and `status` when it says
 * `statusChanges: false`; and `[CONTROLLER_DELETING, group, kind]` for `ignoringWhileControllerDeleting`. What the
 * bridge leaves out of the fingerprint behind the watch's "unchanged" flag.
 */
export function ignoredPaths(
  w: Pick<Watch, 'ignoring' | 'statusChanges' | 'ignoringWhileControllerDeleting'>,
): string[][] {
  const paths = (w.ignoring ?? []).map((p) => [...p]);
  if (w.statusChanges === false) paths.push(['status']);
  const by = w.ignoringWhileControllerDeleting;
  if (by) paths.push([CONTROLLER_DELETING, by.group, by.kind]);
  return paths;
}

/**
 * The watch's skip flag (`unchangedExtension`), when it has one (`ignoring`, `ignoringWhileControllerDeleting` or
 * `addedOnceControlledBy`).
 */
export function skipFlagOf(w: Watch): string | undefined {
  if (!w.ignoring && !w.ignoringWhileControllerDeleting && !w.addedOnceControlledBy) return undefined;
  return unchangedExtension(w.group, w.kind, ignoredPaths(w), w.addedOnceControlledBy);
}

/** The bus subscription a handler's declaration implies. */
export function subscriptionOf(def: HandlerDefinition<unknown>): Subscription {
  return {
    handler: def.name,
    kinds: def.watches.map((w) => {
      const skip = skipFlagOf(w);
      return {
        group: w.group,
        kind: w.kind,
        ...(w.events ? { types: w.events.map((e) => `${EVENT_TYPE_PREFIX}${e}`) } : {}),
        // Said per kind, so a handler that needs one kind's status (its infrastructure machine's) is not also
        // woken by every status write of another (its own object's): the bus never delivers those.
        ...(w.statusChanges === false ? { statusChanges: false } : {}),
        ...(w.metadataChanges === false ? { metadataChanges: false } : {}),
        ...(w.whenExists ? { whenExists: { ...w.whenExists } } : {}),
        ...(skip ? { unchanged: skip } : {}),
      };
    }),
    statusChanges: def.watches.some((w) => w.statusChanges !== false),
  };
}

/** The handler called `name` among `defs` (a provider's handlers come as one list). */
export function handlerNamed<C>(defs: Array<HandlerDefinition<C>>, name: string): HandlerDefinition<C> {
  const def = defs.find((d) => d.name === name);
  if (!def) throw new Error(`no handler "${name}" among ${defs.map((d) => d.name).join(', ')}`);
  return def;
}
