// A Metal3Machine's rendered host data, as CAPM3 makes it (reference §3.2 step 5), in one idempotent step a
// reconcile can repeat: the Metal3DataClaim named after the Metal3Machine (owned by it), the Metal3Data that
// answers it with the lowest index free in the template (named `<template>-<index>`: the create's
// AlreadyExists is the guard between racing claims), the claim's status naming it (written with the claim's
// resourceVersion, so of two reconciles of one machine one Metal3Data survives), then the two Secrets,
// `<machine>-metadata` and `<machine>-networkdata`, owned by the Metal3Data and never rewritten (a host
// reprovisions with the data it first had). Deleting the Metal3Machine collects the claim, the data and the
// Secrets through their owner references, which frees the index.

import { Labels } from '../../../shared/api/capi/constants.ts';
import type { KubeObject, OwnerReference } from '../../../shared/api/meta.ts';
import { METAL3_DATA_API_VERSION } from '../../../shared/api/providers/constants.ts';
import type { BareMetalHost } from '../../../shared/api/providers/metal3.ts';
import type { Metal3Data, Metal3DataClaim, Metal3DataTemplate } from '../../../shared/api/providers/metal3-data.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../../shared/kube/errors.ts';
import { writeYaml } from '../../../shared/text/yaml.ts';
import { RenderError, renderMetaData, renderNetworkData } from './data-render.ts';

export const M3DT = { apiVersion: METAL3_DATA_API_VERSION, kind: 'Metal3DataTemplate' };
export const M3DC = { apiVersion: METAL3_DATA_API_VERSION, kind: 'Metal3DataClaim' };
export const M3D = { apiVersion: METAL3_DATA_API_VERSION, kind: 'Metal3Data' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };

export interface SecretRef {
  name: string;
  namespace: string;
}

export type DataOutcome =
  | { kind: 'ready'; rendered: SecretRef; metaData?: SecretRef; networkData?: SecretRef }
  | { kind: 'waiting'; reason: string; message: string; retryAfterMs: number }
  | { kind: 'failed'; reason: string; message: string };

export interface DataInputs {
  kube: KubeClient;
  m3m: KubeObject & { metadata: { name?: string; namespace?: string; uid?: string } };
  machine: KubeObject;
  host: BareMetalHost;
  template: { name: string; namespace?: string | undefined };
  clusterName: string | undefined;
  fieldManager: string;
}

function owner(o: KubeObject, controller: boolean): OwnerReference {
  return {
    apiVersion: o.apiVersion!,
    kind: o.kind!,
    name: o.metadata.name!,
    uid: o.metadata.uid!,
    ...(controller ? { controller: true, blockOwnerDeletion: true } : {}),
  };
}

async function createOrGet<T extends KubeObject>(kube: KubeClient, obj: T, opts: { fieldManager: string }): Promise<T> {
  try {
    return await kube.create(obj, opts);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const found = await kube.find<T>({
      apiVersion: obj.apiVersion!,
      kind: obj.kind!,
      namespace: obj.metadata.namespace!,
      name: obj.metadata.name!,
    });
    if (!found) throw e;
    return found;
  }
}

/** The lowest index no Metal3Data of the template holds. */
export function lowestFreeIndex(taken: number[]): number {
  const set = new Set(taken);
  let i = 0;
  while (set.has(i)) i++;
  return i;
}

/** Claim name → index over the template's Metal3Data (the template's status.indexes). */
export function indexesOf(datas: Metal3Data[], template: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of datas) {
    if (d.spec?.template.name !== template || d.metadata.deletionTimestamp) continue;
    if (d.spec.claim.name && d.spec.index !== undefined) out[d.spec.claim.name] = d.spec.index;
  }
  return out;
}

async function ensureClaim(i: DataInputs, ns: string, labels: Record<string, string>): Promise<Metal3DataClaim> {
  return createOrGet<Metal3DataClaim>(
    i.kube,
    {
      ...M3DC,
      metadata: { name: i.m3m.metadata.name!, namespace: ns, labels, ownerReferences: [owner(i.m3m, true)] },
      spec: { template: { name: i.template.name, namespace: ns } },
    },
    { fieldManager: i.fieldManager },
  );
}

/** The Metal3Data answering `claim`: the one its status names, else one made for it, else a new one. */
async function ensureData(
  i: DataInputs,
  tpl: Metal3DataTemplate,
  claim: Metal3DataClaim,
  ns: string,
  labels: Record<string, string>,
): Promise<Metal3Data> {
  const kube = i.kube;
  const named = claim.status?.renderedData?.name;
  if (named) {
    const d = await kube.find<Metal3Data>({ ...M3D, namespace: ns, name: named });
    if (d) return d;
  }
  const tplName = tpl.metadata.name!;
  const m3mName = i.m3m.metadata.name!;
  for (let attempt = 0; attempt < 8; attempt++) {
    const all = (await kube.listAll<Metal3Data>(M3D, { namespace: ns })).items;
    const mine = all
      .filter((d) => d.spec?.claim.name === claim.metadata.name && d.spec?.template.name === tplName)
      .sort((a, b) => (a.spec?.index ?? 0) - (b.spec?.index ?? 0));
    let data = mine[0];
    if (!data) {
      const index = lowestFreeIndex(
        all.filter((d) => d.spec?.template.name === tplName).map((d) => d.spec?.index ?? -1),
      );
      try {
        data = await kube.create<Metal3Data>(
          {
            ...M3D,
            metadata: {
              name: `${tplName}-${index}`,
              namespace: ns,
              labels,
              ownerReferences: [owner(claim, true)],
            },
            spec: {
              index,
              claim: { name: claim.metadata.name!, namespace: ns },
              template: { name: tplName, namespace: ns },
              ...(tpl.spec?.metaData ? { metaData: { name: `${m3mName}-metadata`, namespace: ns } } : {}),
              ...(tpl.spec?.networkData ? { networkData: { name: `${m3mName}-networkdata`, namespace: ns } } : {}),
            },
          },
          { fieldManager: i.fieldManager },
        );
      } catch (e) {
        // Another claim took this index between our list and our create: look again.
        if (isAlreadyExists(e)) continue;
        throw e;
      }
    }
    try {
      await kube.updateStatus<Metal3DataClaim>(
        { ...claim, status: { renderedData: { name: data.metadata.name!, namespace: ns } } },
        { fieldManager: i.fieldManager },
      );
      return data;
    } catch (e) {
      if (!isConflict(e)) throw e;
      // Another reconcile of this machine answered the claim first: keep its data, drop ours.
      const fresh = await kube.find<Metal3DataClaim>({ ...M3DC, namespace: ns, name: claim.metadata.name! });
      const theirs = fresh?.status?.renderedData?.name;
      if (!fresh) throw e;
      claim = fresh;
      if (theirs && theirs !== data.metadata.name) {
        await kube.delete({ ...M3D, namespace: ns, name: data.metadata.name! }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
        const kept = await kube.find<Metal3Data>({ ...M3D, namespace: ns, name: theirs });
        if (kept) return kept;
      }
    }
  }
  throw new Error(`could not allocate an index of Metal3DataTemplate ${ns}/${tplName} after 8 attempts`);
}

async function recordError(i: DataInputs, data: Metal3Data, claim: Metal3DataClaim, message: string | undefined) {
  const set = async <T extends KubeObject>(o: T, status: Record<string, unknown>) => {
    const cur = (o.status ?? {}) as Record<string, unknown>;
    const next = { ...cur, ...status };
    if (message === undefined) delete next.errorMessage;
    else next.errorMessage = message;
    if (JSON.stringify(cur) === JSON.stringify(next)) return;
    await i.kube.updateStatus({ ...o, status: next }, { fieldManager: i.fieldManager }).catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
  };
  await set(data, { ready: message === undefined });
  const fresh = await i.kube.find<Metal3DataClaim>({
    ...M3DC,
    namespace: claim.metadata.namespace!,
    name: claim.metadata.name!,
  });
  if (fresh) await set(fresh, {});
}

/** Claim, data and Secrets for the machine's template; what the machine waits for, or why it cannot go on. */
export async function ensureRenderedData(i: DataInputs): Promise<DataOutcome> {
  const ns = i.m3m.metadata.namespace!;
  const tplNs = i.template.namespace || ns;
  const field = 'spec.dataTemplate';
  if (tplNs !== ns) {
    return {
      kind: 'failed',
      reason: 'Metal3DataTemplateNotFound',
      message: `${field}.namespace ${tplNs}: the Metal3DataTemplate must be in the Metal3Machine's namespace ${ns}`,
    };
  }
  const tpl = await i.kube.find<Metal3DataTemplate>({ ...M3DT, namespace: ns, name: i.template.name });
  if (!tpl || tpl.metadata.deletionTimestamp) {
    return {
      kind: 'waiting',
      reason: 'Metal3DataTemplateNotFound',
      message: `${field} names Metal3DataTemplate ${ns}/${i.template.name}, which does not exist${tpl ? ' any more (being deleted)' : ''}; create it (the host stays claimed meanwhile)`,
      retryAfterMs: 30_000,
    };
  }
  const labels: Record<string, string> = i.clusterName ? { [Labels.clusterName]: i.clusterName } : {};
  const claim = await ensureClaim(i, ns, labels);
  const data = await ensureData(i, tpl, claim, ns, labels);
  const rendered = { name: data.metadata.name!, namespace: ns };
  const inputs = {
    template: tpl.spec ?? {},
    index: data.spec?.index ?? 0,
    namespace: ns,
    m3m: i.m3m as never,
    machine: i.machine as never,
    host: i.host,
  };
  const docs: Array<[SecretRef | undefined, string, () => unknown]> = [
    [data.spec?.metaData as SecretRef | undefined, 'metaData', () => renderMetaData(inputs)],
    [data.spec?.networkData as SecretRef | undefined, 'networkData', () => renderNetworkData(inputs)],
  ];
  try {
    for (const [ref, key, render] of docs) {
      if (!ref?.name) continue;
      if (await i.kube.find({ ...SECRET, namespace: ns, name: ref.name })) continue;
      await createOrGet(
        i.kube,
        {
          ...SECRET,
          metadata: { name: ref.name, namespace: ns, labels, ownerReferences: [owner(data, true)] },
          type: 'Opaque',
          stringData: { [key]: writeYaml(render()) },
        } as KubeObject,
        { fieldManager: i.fieldManager },
      );
    }
  } catch (e) {
    if (!(e instanceof RenderError)) throw e;
    await recordError(i, data, claim, e.message);
    return {
      kind: 'failed',
      reason: 'Metal3DataRenderFailed',
      message: `Metal3DataTemplate ${ns}/${tpl.metadata.name} ${e.message}; fix the template (the host stays claimed)`,
    };
  }
  await recordError(i, data, claim, undefined);
  await recordIndexes(i, tpl, ns);
  const ref = (r: { name?: string | undefined } | undefined) => (r?.name ? { name: r.name, namespace: ns } : undefined);
  const metaData = ref(data.spec?.metaData);
  const networkData = ref(data.spec?.networkData);
  return { kind: 'ready', rendered, ...(metaData ? { metaData } : {}), ...(networkData ? { networkData } : {}) };
}

/** The template's status.indexes, from its Metal3Data; informational, so a lost race is left to the next write. */
async function recordIndexes(i: DataInputs, tpl: Metal3DataTemplate, ns: string): Promise<void> {
  const all = (await i.kube.listAll<Metal3Data>(M3D, { namespace: ns })).items;
  const indexes = indexesOf(all, tpl.metadata.name!);
  if (JSON.stringify(tpl.status?.indexes ?? {}) === JSON.stringify(indexes)) return;
  await i.kube
    .updateStatus<Metal3DataTemplate>(
      { ...tpl, status: { ...(tpl.status ?? {}), indexes } },
      { fieldManager: i.fieldManager },
    )
    .catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
}
