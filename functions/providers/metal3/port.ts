// The kit's port over BareMetalHosts, in one namespace: the "cloud" is the Kubernetes API, a create is a
// claim of an available host (consumerRef, labels, image, user data, online) written with the host's
// resourceVersion as precondition — of two Metal3Machines racing for a host exactly one wins, the other takes
// the next — and a delete is CAPM3's deprovision, then the release of the host for the next claim.
import type { BareMetalHost } from '../../../shared/api/providers/metal3.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isConflict, isNotFound } from '../../../shared/kube/errors.ts';
import type { CloudInstance, CloudPort } from '../kit/port.ts';
import {
  BMH,
  CLUSTER_LABEL,
  claimable,
  claimedBy,
  IDENTITY_LABEL,
  M3M_KIND,
  matchesHostSelector,
  RENDERING_ANNOTATION,
  stateOf,
  toCloudInstance,
} from './hosts.ts';
import { type ClaimRequest, provisioningSpec } from './request.ts';

/** No host can be claimed now: a capacity problem, for the kit's classifier. */
export class NoHostAvailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoHostAvailable';
  }
}

/** The claim's hosts in a stable order that differs per machine, so racing claims spread over the hosts. */
function spread(hosts: BareMetalHost[], key: string): BareMetalHost[] {
  const score = (h: BareMetalHost) => {
    let x = 0;
    for (const c of `${key}/${h.metadata.name}`) x = (x * 31 + c.charCodeAt(0)) >>> 0;
    return x;
  };
  return [...hosts].sort((a, b) => score(a) - score(b) || a.metadata.name!.localeCompare(b.metadata.name!));
}

function withoutKeys(o: Record<string, string> | undefined, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !keys.includes(k)));
}

export function metal3Port(kube: KubeClient, namespace: string | undefined): CloudPort<ClaimRequest> {
  const ns = () => {
    if (!namespace) throw new Error('no namespace for BareMetalHosts');
    return namespace;
  };
  const list = async () => (await kube.listAll<BareMetalHost>(BMH, { namespace: ns() })).items;
  const read = (name: string) => kube.find<BareMetalHost>({ ...BMH, namespace: ns(), name });

  return {
    async find(identity) {
      return (await list())
        .filter((h) => h.metadata.labels?.[IDENTITY_LABEL] === identity.machineUid)
        .map(toCloudInstance);
    },
    async get(name) {
      const h = await read(name);
      return h ? toCloudInstance(h) : undefined;
    },
    async create(req, key, identity): Promise<CloudInstance> {
      for (let round = 0; round < 3; round++) {
        const hosts = await list();
        const mine = hosts.find(
          (h) => h.metadata.labels?.[IDENTITY_LABEL] === identity.machineUid || claimedBy(h, identity.name),
        );
        if (mine) return toCloudInstance(mine);
        const candidates = spread(
          hosts.filter((h) => claimable(h) && matchesHostSelector(h.metadata.labels, req.hostSelector)),
          key,
        );
        if (!candidates.length) break;
        for (const h of candidates) {
          const claimed: BareMetalHost = {
            ...h,
            metadata: {
              ...h.metadata,
              ...(req.dataTemplate
                ? { annotations: { ...(h.metadata.annotations ?? {}), [RENDERING_ANNOTATION]: req.dataTemplate.name } }
                : {}),
              labels: {
                ...(h.metadata.labels ?? {}),
                [CLUSTER_LABEL]: identity.clusterName,
                [IDENTITY_LABEL]: identity.machineUid,
              },
              ownerReferences: [
                ...(h.metadata.ownerReferences ?? []).filter((o) => o.kind !== M3M_KIND),
                {
                  apiVersion: req.owner.apiVersion,
                  kind: M3M_KIND,
                  name: identity.name,
                  uid: req.owner.uid,
                  controller: true,
                },
              ],
            },
            spec: {
              ...(h.spec ?? { online: false }),
              consumerRef: { apiVersion: req.owner.apiVersion, kind: M3M_KIND, name: identity.name, namespace: ns() },
              online: true,
              // With a dataTemplate the host provisions once its data is rendered (provisionClaimed).
              ...(req.dataTemplate ? {} : provisioningSpec(req)),
              ...(req.automatedCleaningMode ? { automatedCleaningMode: req.automatedCleaningMode } : {}),
            },
          };
          try {
            // The host's resourceVersion is the precondition: a host someone claimed meanwhile answers 409.
            return toCloudInstance(await kube.update(claimed));
          } catch (e) {
            if (!isConflict(e)) throw e;
            // The 409 may be our own claim: the client repeats an update whose reply was lost, and the repeat
            // meets the resourceVersion the first attempt wrote (found by the Kubernetes fault proxy: two hosts
            // for one machine). Only a host claimed by someone else sends us to the next one.
            const now = await read(h.metadata.name!);
            if (now && now.metadata.labels?.[IDENTITY_LABEL] === identity.machineUid) return toCloudInstance(now);
          }
        }
      }
      throw new NoHostAvailableError(
        `no BareMetalHost in ${ns()} that matches spec.hostSelector is available to claim (the others were taken meanwhile)`,
      );
    },
    async delete(inst) {
      const h = await read(inst.id);
      if (!h || h.metadata.labels?.[IDENTITY_LABEL] !== inst.owner.machineUid) return;
      const spec = h.spec ?? { online: false };
      if (spec.image || spec.customDeploy || spec.userData || spec.metaData || spec.networkData) {
        // CAPM3's deprovision: clear what the claim set and power off; BMO deprovisions (and cleans) the disks.
        const { image: _i, customDeploy: _c, userData: _u, metaData: _m, networkData: _n, ...rest } = spec;
        await kube.update({ ...h, spec: { ...rest, online: false } });
        return;
      }
      if (
        [
          'provisioning',
          'provisioned',
          'deprovisioning',
          'preparing',
          'powering off before delete',
          'deleting',
        ].includes(stateOf(h))
      )
        return;
      // Deprovisioned: release the host for the next claim.
      const { consumerRef: _r, ...spec2 } = spec;
      await kube.update({
        ...h,
        metadata: {
          ...h.metadata,
          annotations: withoutKeys(h.metadata.annotations, [RENDERING_ANNOTATION]),
          labels: withoutKeys(h.metadata.labels, [IDENTITY_LABEL, CLUSTER_LABEL]),
          ownerReferences: (h.metadata.ownerReferences ?? []).filter((o) => o.kind !== M3M_KIND),
        },
        spec: spec2,
      });
    },
    async listOwned(scope) {
      const hosts = namespace
        ? await list()
        : (
            await kube.listAll<BareMetalHost>(BMH).catch((e: unknown) => {
              if (isNotFound(e)) return { items: [] as BareMetalHost[] };
              throw e;
            })
          ).items;
      return hosts
        .filter(
          (h) =>
            h.metadata.labels?.[IDENTITY_LABEL] &&
            (!scope.clusterName || h.metadata.labels?.[CLUSTER_LABEL] === scope.clusterName),
        )
        .map(toCloudInstance);
    },
  };
}

/**
 * Asks a host claimed while its data was rendered to provision: image or custom deploy, user data and the
 * rendered Secrets, in one update with the host's resourceVersion (a 409 is the next reconcile's to redo).
 */
export async function provisionClaimed(
  kube: KubeClient,
  h: BareMetalHost,
  req: Parameters<typeof provisioningSpec>[0],
): Promise<BareMetalHost> {
  return kube.update<BareMetalHost>({
    ...h,
    metadata: { ...h.metadata, annotations: withoutKeys(h.metadata.annotations, [RENDERING_ANNOTATION]) },
    spec: { ...(h.spec ?? { online: true }), ...provisioningSpec(req) },
  });
}
