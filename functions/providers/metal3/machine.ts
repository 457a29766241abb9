// Metal3Machine on the kit (reference §3): a claim of an available BareMetalHost matching spec.hostSelector,
// with the image (or OpenShift's customDeploy) and the Machine's bootstrap data; ready when the host is
// provisioned, with the providerID `metal3://<ns>/<host>/<machine>` set on the Node the host registered.
// Intent, lookup, ownership, finalizer, conditions and deletion (deprovision, then release) are the kit's.
import type { KubeObject } from '../../../shared/api/meta.ts';
import { Metal3MachineFinalizer } from '../../../shared/api/providers/constants.ts';
import type { BareMetalHost, Metal3Cluster, Metal3Machine } from '../../../shared/api/providers/metal3.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isConflict } from '../../../shared/kube/errors.ts';
import { eventObject, listedBy } from '../../../shared/runtime/mappers.ts';
import type { InfraMachineDefinition, Prepared } from '../kit/definition.ts';
import type { ClassifiedError } from '../kit/errors.ts';
import { setMachineCondition } from '../kit/status.ts';
import { ensureRenderedData } from './data.ts';
import {
  BMH,
  claimable,
  hardwareOf,
  matchesHostSelector,
  parseProviderID,
  RENDERING_ANNOTATION,
  stateOf,
} from './hosts.ts';
import { metal3Port, NoHostAvailableError, provisionClaimed } from './port.ts';
import type { ClaimRequest } from './request.ts';

export const METAL3_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'Metal3Machine' };
export const METAL3_FIELD_MANAGER = 'capi-fn-metal3-provider';
/** CAPM3's condition for the rendered data a dataTemplate asks for (summarised into Ready). */
export const METAL3_DATA_READY = 'Metal3DataReady';

interface NodeLike extends KubeObject {
  spec?: { providerID?: string };
}

export function classifyMetal3Error(e: unknown): ClassifiedError {
  if (e instanceof NoHostAvailableError)
    return { class: 'capacity', code: 'NoHostAvailable', message: e.message, definitive: true, retryAfterMs: 30_000 };
  if (isConflict(e)) return { class: 'conflict', code: 'Conflict', message: (e as Error).message, definitive: true };
  return {
    class: 'unknown',
    code: (e as Error)?.name ?? 'Error',
    message: String((e as Error)?.message ?? e),
    definitive: false,
  };
}

/** How many hosts match, and in which states: the words of the "no host" condition. */
function census(hosts: BareMetalHost[]): string {
  const by = new Map<string, number>();
  for (const h of hosts) {
    const s = h.spec?.consumerRef ? `claimed (${stateOf(h) || 'registering'})` : stateOf(h) || 'registering';
    by.set(s, (by.get(s) ?? 0) + 1);
  }
  return [...by].map(([s, n]) => `${n} ${s}`).join(', ');
}

async function secretExists(kube: KubeClient, namespace: string, name: string): Promise<boolean> {
  return Boolean(await kube.find({ apiVersion: 'v1', kind: 'Secret', namespace, name }));
}

/**
 * CAPM3's providerID paths for OpenShift (noCloudProvider): the Node labelled `metal3.io/uuid=<host uid>`, else the
 * Node whose `kubernetes.io/hostname` is the host's hostname; its empty providerID is set to the machine's. A Node
 * providerID can only change from empty, so one already set elsewhere is left alone.
 */
async function linkNode(kube: KubeClient, host: BareMetalHost, providerID: string): Promise<void> {
  const byUid = await kube.listAll<NodeLike>(
    { apiVersion: 'v1', kind: 'Node' },
    { labelSelector: `metal3.io/uuid=${host.metadata.uid}` },
  );
  const hostname = hardwareOf(host).hostname;
  const nodes = byUid.items.length
    ? byUid.items
    : hostname
      ? (
          await kube.listAll<NodeLike>(
            { apiVersion: 'v1', kind: 'Node' },
            { labelSelector: `kubernetes.io/hostname=${hostname}` },
          )
        ).items
      : [];
  if (nodes.length !== 1) return;
  const node = nodes[0]!;
  if (node.spec?.providerID) return;
  await kube.patch(
    { apiVersion: 'v1', kind: 'Node', name: node.metadata.name! },
    { spec: { providerID } },
    { type: 'merge' },
  );
}

const METAL3_DATA_REF = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'Metal3Data' };

/** A Metal3Machine as the kit handles it (the MachineSet's clone always carries a spec). */
type M3M = Metal3Machine & { spec: NonNullable<Metal3Machine['spec']> };

export const metal3MachineDefinition: InfraMachineDefinition<KubeClient, ClaimRequest, M3M, Metal3Cluster> = {
  name: 'metal3',
  machine: METAL3_MACHINE,
  clusterKind: 'Metal3Cluster',
  finalizer: Metal3MachineFinalizer,
  fieldManager: METAL3_FIELD_MANAGER,
  cloudName: 'the bare-metal hosts',
  instanceNoun: 'BareMetalHost',
  recordedIdField: 'spec.providerID',
  reportsInstanceState: false,
  extraConditions: [METAL3_DATA_READY],
  // A claim is atomic (the host's resourceVersion) and found by label at once: no lease, no grace.
  timings: { launchLeaseMs: 0, notFoundGraceMs: 0 },
  watches: [
    {
      // A host's change wakes its claimant; a host becoming claimable wakes the machines still waiting for one.
      group: 'metal3.io',
      kind: 'BareMetalHost',
      map: async (event, ctx) => {
        const h = (await eventObject(event, ctx)) as BareMetalHost | undefined;
        if (!h) return [];
        const c = h.spec?.consumerRef;
        if (c?.kind === 'Metal3Machine' && c.name)
          return [{ ...METAL3_MACHINE, namespace: c.namespace ?? h.metadata.namespace!, name: c.name }];
        if (!claimable(h)) return [];
        return listedBy(METAL3_MACHINE, () => ({
          filter: (m) => !(m.spec as { providerID?: string } | undefined)?.providerID && !m.metadata.deletionTimestamp,
        }))(event, ctx);
      },
    },
  ],
  // Hosts are claimed in the machine's own namespace; the Node is found by label to set its providerID.
  // A dataTemplate's claim, data and Secrets are made in the machine's namespace (owned, so collected with it).
  reads: [
    { group: '', kinds: ['Node'], verbs: ['list'] },
    {
      group: 'infrastructure.cluster.x-k8s.io',
      kinds: ['Metal3DataTemplate', 'Metal3DataClaim', 'Metal3Data'],
      namespaces: 'workload',
      verbs: ['get', 'list'],
    },
  ],
  writes: [
    { group: 'metal3.io', kinds: ['BareMetalHost'], namespaces: 'workload', verbs: ['update'] },
    { group: '', kinds: ['Node'], verbs: ['patch'] },
    {
      group: 'infrastructure.cluster.x-k8s.io',
      kinds: ['Metal3DataClaim', 'Metal3Data'],
      namespaces: 'workload',
      verbs: ['create', 'delete'],
    },
    {
      group: 'infrastructure.cluster.x-k8s.io',
      kinds: ['Metal3DataTemplate', 'Metal3DataClaim', 'Metal3Data'],
      subresource: 'status',
      namespaces: 'workload',
      verbs: ['update'],
    },
    { group: '', kinds: ['Secret'], namespaces: 'workload', verbs: ['create'] },
  ],
  port: (kube, namespace) => metal3Port(kube, namespace),
  classify: classifyMetal3Error,
  locate: ({ im }) => im.metadata.namespace,
  // The hosts are in the cluster: the handler's own Kubernetes client is the "cloud" client.
  connect: async (_client, s) => s.kube,
  recordedId: (m) => parseProviderID(m.spec.providerID)?.host,
  recordIdentity(spec, inst) {
    spec.providerID = inst.providerID;
  },

  async prepare(s): Promise<Prepared<ClaimRequest>> {
    const m = s.im;
    const spec = m.spec ?? {};
    const ns = m.metadata.namespace!;
    const dt = spec.dataTemplate;
    if (dt && (!dt.name || (dt.kind && dt.kind !== 'Metal3DataTemplate'))) {
      return {
        ok: false,
        reason: 'Metal3DataTemplateNotFound',
        message: `spec.dataTemplate must name a Metal3DataTemplate (got ${dt.kind ?? 'no kind'} ${JSON.stringify(dt.name ?? '')})`,
      };
    }
    if (!spec.image?.url && !spec.customDeploy?.method) {
      return {
        ok: false,
        reason: 'ImageNotFound',
        message:
          'neither spec.image.url nor spec.customDeploy.method is set (OpenShift: customDeploy.method install_coreos)',
      };
    }
    // With a dataTemplate the rendered Secrets are used (CAPM3), whatever spec.metaData/networkData say.
    for (const [field, ref] of dt
      ? []
      : ([
          ['spec.metaData', spec.metaData],
          ['spec.networkData', spec.networkData],
        ] as const)) {
      if (ref?.name && !(await secretExists(s.kube, ref.namespace || ns, ref.name))) {
        return {
          ok: false,
          reason: field === 'spec.networkData' ? 'NetworkDataNotFound' : 'MetaDataNotFound',
          message: `${field} names Secret ${ref.namespace || ns}/${ref.name}, which does not exist`,
        };
      }
    }
    const hosts = (await s.kube.listAll<BareMetalHost>(BMH, { namespace: ns })).items.filter(
      (h) => !h.metadata.deletionTimestamp,
    );
    const matching = hosts.filter((h) => matchesHostSelector(h.metadata.labels, spec.hostSelector));
    if (!matching.length) {
      return {
        ok: false,
        reason: 'HostNotFound',
        message: `no BareMetalHost in ${ns} matches spec.hostSelector${spec.hostSelector ? ` (${JSON.stringify(spec.hostSelector)})` : ''} (${hosts.length} hosts in the namespace)`,
      };
    }
    if (!matching.some(claimable)) {
      return {
        ok: false,
        reason: 'NoHostAvailable',
        severity: 'Warning',
        retryAfterMs: 30_000,
        message: `${matching.length} BareMetalHosts match spec.hostSelector, none is available (${census(matching)}); a host that becomes available is claimed at once`,
      };
    }
    const ref = (r: { name?: string | undefined; namespace?: string | undefined } | undefined) =>
      r?.name ? { name: r.name, namespace: r.namespace || ns } : undefined;
    const metaData = dt ? undefined : ref(spec.metaData);
    const networkData = dt ? undefined : ref(spec.networkData);
    return {
      ok: true,
      request: {
        hostSelector: spec.hostSelector,
        ...(spec.image ? { image: spec.image } : {}),
        ...(spec.customDeploy ? { customDeploy: spec.customDeploy } : {}),
        // The Machine's bootstrap data Secret (CAPM3's status.userData), in the machine's namespace.
        userData: { name: s.bootstrap.secretName, namespace: ns },
        ...(metaData ? { metaData } : {}),
        ...(networkData ? { networkData } : {}),
        ...(spec.automatedCleaningMode ? { automatedCleaningMode: spec.automatedCleaningMode } : {}),
        ...(dt?.name ? { dataTemplate: { name: dt.name, namespace: dt.namespace || ns } } : {}),
        owner: { apiVersion: m.apiVersion ?? METAL3_MACHINE.apiVersion, uid: m.metadata.uid! },
      },
    };
  },

  async observe(inst, s, status) {
    const secret = s.machine?.spec.bootstrap.dataSecretName;
    if (secret) status.userData = { name: secret, namespace: s.im.metadata.namespace! };
    const host = inst.raw as BareMetalHost;
    const dt = s.im.spec.dataTemplate;
    if (dt?.name && host.metadata.annotations?.[RENDERING_ANNOTATION] && s.machine && secret) {
      const out = await ensureRenderedData({
        kube: s.client,
        m3m: s.im,
        machine: s.machine,
        host,
        template: { name: dt.name, namespace: dt.namespace },
        clusterName: s.clusterName,
        fieldManager: METAL3_FIELD_MANAGER,
      });
      if (out.kind !== 'ready') {
        setMachineCondition(
          status,
          METAL3_DATA_READY,
          {
            status: 'False',
            reason: out.reason,
            severity: out.kind === 'failed' ? 'Error' : 'Warning',
            message: out.message,
          },
          s.now,
          [METAL3_DATA_READY],
        );
        return;
      }
      status.renderedData = { ...METAL3_DATA_REF, ...out.rendered };
      if (out.metaData) status.metaData = out.metaData;
      if (out.networkData) status.networkData = out.networkData;
      const spec = s.im.spec;
      await provisionClaimed(s.client, host, {
        ...(spec.image ? { image: spec.image } : {}),
        ...(spec.customDeploy ? { customDeploy: spec.customDeploy } : {}),
        userData: { name: secret, namespace: s.im.metadata.namespace! },
        ...(out.metaData ? { metaData: out.metaData } : {}),
        ...(out.networkData ? { networkData: out.networkData } : {}),
      });
      setMachineCondition(status, METAL3_DATA_READY, { status: 'True' }, s.now, [METAL3_DATA_READY]);
      return;
    }
    if (inst.state === 'running') await linkNode(s.client, inst.raw as BareMetalHost, inst.providerID);
  },
};
