// In-place propagation decisions (upstream's syncMachines): which Machines and infrastructure machines need the
// template's labels, annotations and teardown fields, as what write, and what the first apply takes over from the
// create's managedFields entry.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { desiredClone, desiredMachine, type MachineTemplate } from './desired-machine.ts';
import { managedKeys, planCloneSync, planMachineSync } from './in-place.ts';

const MANAGER = 'capi-machineset';
const SET_LABELS = { 'cluster.x-k8s.io/set-name': 'workers', 'cluster.x-k8s.io/cluster-name': 'c' };

function set(t: { labels?: Record<string, string>; annotations?: Record<string, string>; drain?: string }): MachineSet {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineSet',
    metadata: { name: 'workers', namespace: 'ns', uid: 'ms-uid', generation: 2 },
    spec: {
      clusterName: 'c',
      replicas: 1,
      selector: { matchLabels: { pool: 'w' } },
      template: {
        metadata: { labels: { pool: 'w', ...(t.labels ?? {}) }, annotations: t.annotations },
        spec: {
          clusterName: 'c',
          bootstrap: { dataSecretName: 's' },
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'LocalMachineTemplate',
            name: 't',
          },
          ...(t.drain ? { nodeDrainTimeout: t.drain } : {}),
        },
      },
    },
  } as MachineSet;
}

/** FieldsV1 of a set of keys, as the API server records them. */
function keys(names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((k) => [`f:${k}`, {}]));
}

/** A Machine as the MachineSet created it from `from`: its create recorded as an `Update` entry of the manager. */
function created(from: MachineSet): Machine {
  const m = desiredMachine(from, 'workers-abc12');
  const spec = m.spec as unknown as Record<string, unknown>;
  m.metadata.uid = 'm-uid';
  m.metadata.resourceVersion = '7';
  (m.metadata as { managedFields?: unknown }).managedFields = [
    {
      manager: MANAGER,
      operation: 'Update',
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      time: '2026-12-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:labels': keys(Object.keys(m.metadata.labels ?? {})),
          ...(m.metadata.annotations ? { 'f:annotations': keys(Object.keys(m.metadata.annotations)) } : {}),
          'f:finalizers': { '.': {}, 'v:"machine.cluster.x-k8s.io"': {} },
          'f:ownerReferences': { '.': {}, 'k:{"uid":"ms-uid"}': {} },
        },
        'f:spec': keys(Object.keys(spec)),
      },
    },
  ];
  return m;
}

describe('planMachineSync', () => {
  it('leaves a Machine that already has what the template says', () => {
    const ms = set({ labels: { tier: 'a' }, drain: '10s' });
    expect(planMachineSync(ms, created(ms), MANAGER)).toEqual({ action: 'none' });
  });

  it('applies an added label, an annotation and a new drain timeout, update-only by uid', () => {
    const m = created(set({}));
    const plan = planMachineSync(set({ labels: { tier: 'a' }, annotations: { note: 'x' }, drain: '5m' }), m, MANAGER);
    expect(plan.action).toBe('apply');
    if (plan.action !== 'apply') return;
    expect(plan.body.metadata).toMatchObject({
      name: 'workers-abc12',
      uid: 'm-uid',
      labels: { pool: 'w', tier: 'a', ...SET_LABELS },
      annotations: { note: 'x' },
    });
    expect(plan.body.spec).toEqual({ nodeDrainTimeout: '5m' });
  });

  it('applies when a label the manager set is gone from the template, so the apply removes it', () => {
    const m = created(set({ labels: { tier: 'a' } }));
    const plan = planMachineSync(set({}), m, MANAGER);
    expect(plan.action).toBe('apply');
    if (plan.action !== 'apply') return;
    expect(plan.body.metadata.labels).not.toHaveProperty('tier');
    // Nothing of the spec to apply: no spec in the configuration at all.
    expect(plan.body).not.toHaveProperty('spec');
  });

  it('does not fight a label or a drain timeout someone else set', () => {
    const ms = set({});
    const m = created(ms);
    m.metadata.labels = { ...m.metadata.labels, 'team.example.com/owner': 'ops' };
    m.spec.nodeDrainTimeout = '20m';
    (m.metadata as { managedFields: unknown[] }).managedFields.push({
      manager: 'kubectl-edit',
      operation: 'Update',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': keys(['team.example.com/owner']) },
        'f:spec': keys(['nodeDrainTimeout']),
      },
    });
    expect(planMachineSync(ms, m, MANAGER)).toEqual({ action: 'none' });
  });

  it('on first apply moves labels, annotations and the in-place spec fields to an Apply entry; the rest stays', () => {
    const m = created(set({ annotations: { old: 'y' }, drain: '10s' }));
    const plan = planMachineSync(set({ labels: { tier: 'a' }, drain: '10s' }), m, MANAGER);
    if (plan.action !== 'apply') throw new Error(`expected apply, got ${plan.action}`);
    const [update, apply] = plan.adopt!;
    expect(apply).toMatchObject({ manager: MANAGER, operation: 'Apply', fieldsType: 'FieldsV1' });
    expect(Object.keys((apply!.fieldsV1!['f:metadata'] as object) ?? {})).toEqual(['f:labels', 'f:annotations']);
    expect(apply!.fieldsV1!['f:spec']).toEqual({ 'f:nodeDrainTimeout': {} });
    const kept = update!.fieldsV1!;
    expect(Object.keys(kept['f:metadata'] as object)).toEqual(['f:finalizers', 'f:ownerReferences']);
    expect(kept['f:spec']).toHaveProperty('f:infrastructureRef');
    expect(kept['f:spec']).not.toHaveProperty('f:nodeDrainTimeout');
    // The applied labels are then the manager's (Apply) keys; nothing is co-owned by the old entry any more.
    const adopted = { ...m, metadata: { ...m.metadata, managedFields: plan.adopt } } as Machine;
    expect(managedKeys(adopted, MANAGER, 'annotations')).toEqual(['old']);
  });

  it('does not adopt twice once an Apply entry exists', () => {
    const m = created(set({}));
    (m.metadata as { managedFields: unknown[] }).managedFields.push({
      manager: MANAGER,
      operation: 'Apply',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': keys(Object.keys(m.metadata.labels ?? {})) } },
    });
    const plan = planMachineSync(set({ labels: { tier: 'a' } }), m, MANAGER);
    expect(plan.action).toBe('apply');
    expect(plan).not.toHaveProperty('adopt');
  });

  it('patches only the teardown fields of a deleting Machine, clearing what the template dropped', () => {
    const m = created(set({ drain: '10s' }));
    m.metadata.deletionTimestamp = '2026-12-02T00:00:00Z';
    expect(planMachineSync(set({ labels: { tier: 'a' }, drain: '10s' }), m, MANAGER)).toEqual({ action: 'none' });
    expect(planMachineSync(set({ drain: '1h' }), m, MANAGER)).toEqual({
      action: 'patch-spec',
      patch: {
        spec: {
          nodeDrainTimeout: '1h',
          nodeDeletionTimeout: null,
          nodeVolumeDetachTimeout: null,
          readinessGates: null,
        },
      },
    });
  });
});

describe('planCloneSync', () => {
  const template: MachineTemplate = {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    kind: 'LocalMachineTemplate',
    metadata: { name: 't', namespace: 'ns' },
    spec: { template: { metadata: { labels: { disk: 'ssd' } }, spec: {} } },
  } as MachineTemplate;

  function infraOf(ms: MachineSet): KubeObject {
    const o = desiredClone(ms, template, 'workers-abc12');
    o.metadata.uid = 'i-uid';
    (o.metadata as { managedFields?: unknown }).managedFields = [
      {
        manager: MANAGER,
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:labels': keys(Object.keys(o.metadata.labels ?? {})),
            'f:annotations': keys(Object.keys(o.metadata.annotations ?? {})),
          },
          'f:spec': {},
        },
      },
    ];
    return o;
  }

  it('applies the Machine labels the template gained, keeping the infrastructure template’s and provenance', () => {
    const plan = planCloneSync(set({ labels: { tier: 'a' } }), template, infraOf(set({})), MANAGER);
    if (plan.action !== 'apply') throw new Error(`expected apply, got ${plan.action}`);
    expect(plan.body).not.toHaveProperty('spec');
    expect(plan.body.metadata.labels).toMatchObject({ disk: 'ssd', tier: 'a', ...SET_LABELS });
    expect(plan.body.metadata.annotations).toMatchObject({
      'cluster.x-k8s.io/cloned-from-name': 't',
      'cluster.x-k8s.io/cloned-from-groupkind': 'LocalMachineTemplate.infrastructure.cluster.x-k8s.io',
    });
  });

  it('leaves an infrastructure machine that is up to date', () => {
    const ms = set({ labels: { tier: 'a' } });
    expect(planCloneSync(ms, template, infraOf(ms), MANAGER)).toEqual({ action: 'none' });
  });
});
