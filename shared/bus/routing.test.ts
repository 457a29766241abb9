import { describe, expect, it } from 'vitest';
import {
  absentExtension,
  absentExtensionsOf,
  gateExtension,
  gateKey,
  newResourceEvent,
  parseGateKey,
  unchangedExtension,
} from '../events/resource-event.ts';
import { kindsByGroup, matchesRouting, matchesSubscription, routingFieldsOf } from './routing.ts';
import type { Subscription } from './types.ts';

const sub: Subscription = {
  handler: 'machine',
  kinds: [
    { group: 'cluster.x-k8s.io', kind: 'Machine' },
    { group: '', kind: 'Node' },
    { group: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachine' },
    { group: 'cluster.x-k8s.io', kind: 'MachineSet' },
  ],
  statusChanges: false,
};

const ev = (apiVersion: string, kind: string, extra: Partial<Parameters<typeof newResourceEvent>[0]> = {}) =>
  newResourceEvent({
    type: 'io.capifn.resource.modified',
    source: 's',
    ref: { apiVersion, kind, name: 'n' },
    ...extra,
  });

describe('matchesSubscription', () => {
  it('matches kind together with group', () => {
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine'), sub)).toBe(true);
    expect(matchesSubscription(ev('v1', 'Node'), sub)).toBe(true);
    expect(matchesSubscription(ev('other.io/v1', 'Machine'), sub)).toBe(false);
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Node'), sub)).toBe(false);
    expect(matchesSubscription(ev('v1', 'Pod'), sub)).toBe(false);
  });
  it('delivers targeted events only to the target, whatever their kind', () => {
    expect(matchesSubscription(ev('v1', 'Pod', { targetHandler: 'machine' }), sub)).toBe(true);
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine', { targetHandler: 'other' }), sub)).toBe(false);
  });
  it('skips status-only modifications unless the subscription wants them', () => {
    const so = ev('cluster.x-k8s.io/v1beta1', 'Machine', { statusOnly: true });
    expect(matchesSubscription(so, sub)).toBe(false);
    expect(matchesSubscription(so, { ...sub, statusChanges: true })).toBe(true);
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine', { statusOnly: false }), sub)).toBe(true);
    expect(matchesSubscription({ ...so, type: 'io.capifn.resource.added' }, sub)).toBe(true);
    // A targeted status-only event is a requeue; it is always delivered.
    expect(matchesSubscription({ ...so, capifnhandler: 'machine' }, sub)).toBe(true);
  });
  it('delivers only the event types a kind asks for; other kinds and targeted events are unaffected', () => {
    const typed: Subscription = {
      handler: 'cluster',
      kinds: [
        { group: 'cluster.x-k8s.io', kind: 'Machine', types: ['io.capifn.resource.deleted'] },
        { group: 'cluster.x-k8s.io', kind: 'Cluster' },
      ],
      statusChanges: false,
    };
    const m = ev('cluster.x-k8s.io/v1beta1', 'Machine');
    expect(matchesSubscription({ ...m, type: 'io.capifn.resource.deleted' }, typed)).toBe(true);
    for (const type of ['io.capifn.resource.added', 'io.capifn.resource.modified', 'io.capifn.resource.resync'])
      expect(matchesSubscription({ ...m, type } as typeof m, typed), type).toBe(false);
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Cluster'), typed)).toBe(true);
    expect(matchesSubscription({ ...m, capifnhandler: 'cluster' }, typed)).toBe(true);
    expect(kindsByGroup(typed)).toEqual([
      {
        group: 'cluster.x-k8s.io',
        kinds: ['Machine'],
        types: ['io.capifn.resource.deleted'],
        statusChanges: false,
        metadataChanges: true,
      },
      { group: 'cluster.x-k8s.io', kinds: ['Cluster'], statusChanges: false, metadataChanges: true },
    ]);
  });
  it('a kind may say it wants no status-only changes while the others get them (and the reverse)', () => {
    const perKind: Subscription = {
      handler: 'machine',
      kinds: [
        { group: 'cluster.x-k8s.io', kind: 'Machine', statusChanges: false },
        { group: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachine' },
        { group: '', kind: 'Node', statusChanges: true },
      ],
      statusChanges: true,
    };
    const status = (apiVersion: string, kind: string) => ev(apiVersion, kind, { statusOnly: true });
    expect(matchesSubscription(status('cluster.x-k8s.io/v1beta1', 'Machine'), perKind)).toBe(false);
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine', { statusOnly: false }), perKind)).toBe(true);
    expect(matchesSubscription(status('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachine'), perKind)).toBe(true);
    expect(matchesSubscription(status('v1', 'Node'), perKind)).toBe(true);
    expect(matchesSubscription(status('v1', 'Node'), { ...perKind, statusChanges: false })).toBe(true);
    expect(
      matchesSubscription(status('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachine'), {
        ...perKind,
        statusChanges: false,
      }),
    ).toBe(false);
    expect(kindsByGroup(perKind)).toEqual([
      { group: 'cluster.x-k8s.io', kinds: ['Machine'], statusChanges: false, metadataChanges: true },
      { group: 'infrastructure.cluster.x-k8s.io', kinds: ['AWSMachine'], statusChanges: true, metadataChanges: true },
      { group: '', kinds: ['Node'], statusChanges: true, metadataChanges: true },
    ]);
  });
});

describe('metadataChanges', () => {
  it('skips metadata-only modifications of a kind that asks; other types, other kinds and requeues pass', () => {
    const metaSub: Subscription = {
      handler: 'machine',
      kinds: [
        { group: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachine', metadataChanges: false },
        { group: '', kind: 'Node' },
      ],
      statusChanges: true,
    };
    const aws = (extra: Partial<Parameters<typeof newResourceEvent>[0]>) =>
      ev('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachine', extra);
    expect(matchesSubscription(aws({ metaOnly: true, statusOnly: false }), metaSub)).toBe(false);
    expect(matchesSubscription(aws({ metaOnly: false, statusOnly: false }), metaSub)).toBe(true);
    expect(matchesSubscription(aws({ metaOnly: false, statusOnly: true }), metaSub)).toBe(true);
    // Unknown to the bridge (no flag): delivered.
    expect(matchesSubscription(aws({}), metaSub)).toBe(true);
    expect(matchesSubscription(aws({ metaOnly: true, type: 'io.capifn.resource.added' }), metaSub)).toBe(true);
    expect(matchesSubscription(ev('v1', 'Node', { metaOnly: true }), metaSub)).toBe(true);
    expect(matchesSubscription(aws({ metaOnly: true, targetHandler: 'machine' }), metaSub)).toBe(true);
  });
});

describe('routingFieldsOf', () => {
  it('reads malformed payloads without throwing', () => {
    for (const raw of [null, undefined, 42, 'text', [], {}, { data: 5 }, { data: { ref: [] } }, { capifnhandler: 7 }]) {
      const f = routingFieldsOf(raw);
      expect(f.statusOnly).toBe(false);
      expect(matchesRouting(f, sub)).toBe(false);
    }
    expect(routingFieldsOf({ data: { ref: { apiVersion: 'v1', kind: 'Node' } } })).toEqual({
      group: '',
      kind: 'Node',
      statusOnly: false,
      metaOnly: false,
      absent: new Set(),
    });
    // Only lower-case `capifnnone…` names with the value "true" are flags.
    const f = routingFieldsOf({
      capifnnonemachinehea: 'true',
      capifnnonefoo: 'false',
      capifnnoneBar: 'true',
      capifnnotbefore: 'true',
    });
    expect(f.absent).toEqual(new Set(['capifnnonemachinehea']));
  });
});

describe('absentExtension', () => {
  it('is a CloudEvents extension name of at most 20 lower-case letters and digits', () => {
    for (const kind of ['MachineHealthCheck', 'MachineSet', 'X', 'Some-Very_Long.KindName']) {
      expect(absentExtension(kind)).toMatch(/^[a-z0-9]{1,20}$/);
      expect(absentExtension(kind).startsWith('capifnnone')).toBe(true);
    }
    expect(absentExtension('MachineHealthCheck')).toBe('capifnnonemachinehea');
  });

  it('names the "nothing it looks at changed" flag of a watch by its kind and paths, in any order, within 20 characters', () => {
    const a = unchangedExtension('cluster.x-k8s.io', 'Machine', [['spec', 'providerID'], ['metadata']]);
    expect(a).toMatch(/^capifnnone[a-z0-9]{10}$/);
    expect(unchangedExtension('cluster.x-k8s.io', 'Machine', [['metadata'], ['spec', 'providerID']])).toBe(a);
    expect(unchangedExtension('cluster.x-k8s.io', 'Machine', [['spec', 'providerID']])).not.toBe(a);
    expect(unchangedExtension('cluster.x-k8s.io', 'MachineSet', [['spec', 'providerID'], ['metadata']])).not.toBe(a);
    expect(absentExtensionsOf({ [a]: 'true' })).toEqual(new Set([a]));
  });

  it('names a deleting gate apart from the exists gate of its kind, with the same prefix, and writes gates as strings', () => {
    const deleting = { group: 'cluster.x-k8s.io', kind: 'Cluster', deleting: true };
    expect(gateExtension(deleting)).toBe('capifnnonedelcluster');
    expect(gateExtension({ group: 'cluster.x-k8s.io', kind: 'Cluster' })).toBe('capifnnonecluster');
    expect(absentExtensionsOf({ capifnnonedelcluster: 'true' })).toEqual(new Set(['capifnnonedelcluster']));
    expect(gateKey(deleting)).toBe('cluster.x-k8s.io/Cluster#deleting');
    expect(parseGateKey(gateKey(deleting))).toEqual(deleting);
    expect(parseGateKey('/Node')).toEqual({ group: '', kind: 'Node' });
  });
});

describe('whenExists', () => {
  const gated: Subscription = {
    handler: 'machinehealthcheck',
    kinds: [
      { group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck', statusChanges: false },
      {
        group: 'cluster.x-k8s.io',
        kind: 'Machine',
        whenExists: { group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck' },
      },
      { group: '', kind: 'Node', whenExists: { group: 'cluster.x-k8s.io', kind: 'MachineHealthCheck' } },
    ],
    statusChanges: true,
  };
  const none = { absent: ['capifnnonemachinehea'] };
  it('skips a gated kind’s events the bridge flagged “none here”, of every type; others and targeted events pass', () => {
    for (const type of [
      'io.capifn.resource.added',
      'io.capifn.resource.modified',
      'io.capifn.resource.deleted',
      'io.capifn.resource.resync',
    ] as const) {
      expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine', { ...none, type }), gated), type).toBe(
        false,
      );
      expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine', { type }), gated), type).toBe(true);
    }
    expect(matchesSubscription(ev('v1', 'Node', none), gated)).toBe(false);
    // Not gated: the flag means nothing to it.
    expect(matchesSubscription(ev('cluster.x-k8s.io/v1beta1', 'Machine', none), sub)).toBe(true);
    // Another kind's flag does not skip it.
    expect(matchesSubscription(ev('v1', 'Node', { absent: ['capifnnoneother'] }), gated)).toBe(true);
    // A requeue names its handler: always delivered.
    expect(
      matchesSubscription(
        ev('cluster.x-k8s.io/v1beta1', 'Machine', { ...none, targetHandler: 'machinehealthcheck' }),
        gated,
      ),
    ).toBe(true);
    expect(kindsByGroup(gated)).toEqual([
      { group: 'cluster.x-k8s.io', kinds: ['MachineHealthCheck'], statusChanges: false, metadataChanges: true },
      {
        group: 'cluster.x-k8s.io',
        kinds: ['Machine'],
        statusChanges: true,
        metadataChanges: true,
        absentKey: 'capifnnonemachinehea',
      },
      {
        group: '',
        kinds: ['Node'],
        statusChanges: true,
        metadataChanges: true,
        absentKey: 'capifnnonemachinehea',
      },
    ]);
  });
});

describe('kindsByGroup', () => {
  it('groups kinds, first-seen order, without duplicates', () => {
    expect(kindsByGroup({ ...sub, kinds: [...sub.kinds, { group: '', kind: 'Node' }] })).toEqual([
      { group: 'cluster.x-k8s.io', kinds: ['Machine', 'MachineSet'], statusChanges: false, metadataChanges: true },
      { group: '', kinds: ['Node'], statusChanges: false, metadataChanges: true },
      { group: 'infrastructure.cluster.x-k8s.io', kinds: ['AWSMachine'], statusChanges: false, metadataChanges: true },
    ]);
  });
});
