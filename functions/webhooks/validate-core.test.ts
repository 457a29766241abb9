import { describe, expect, it } from 'vitest';
import { LabelSelector } from '../../shared/api/meta.ts';
import type { JsonObject } from './json.ts';
import { type RuleInput, validateCoreRules } from './validate-core.ts';
import { violationText } from './violation.ts';

const NS = 'openshift-cluster-api';
const infraRef = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachineTemplate', name: 't' };
const machineSpec = (extra: JsonObject = {}): JsonObject => ({
  clusterName: 'c1',
  bootstrap: { dataSecretName: 'worker-user-data' },
  infrastructureRef: infraRef,
  ...extra,
});
const ms = (spec: JsonObject = {}, meta: JsonObject = {}): JsonObject => ({
  metadata: { name: 'ms', ...meta },
  spec: {
    clusterName: 'c1',
    selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'ms' } },
    template: { metadata: { labels: { 'cluster.x-k8s.io/set-name': 'ms' } }, spec: machineSpec() },
    ...spec,
  },
});

function check(kind: string, object: JsonObject, oldObject?: JsonObject): string[] {
  const i: RuleInput = { group: 'cluster.x-k8s.io', kind, object, oldObject, namespace: NS };
  return validateCoreRules(i).map(violationText);
}

describe('MachineSet', () => {
  it('a docs-shaped set passes', () => {
    expect(check('MachineSet', ms())).toEqual([]);
  });
  it('the selector must match the template labels', () => {
    const [v] = check('MachineSet', ms({ selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'other' } } }));
    expect(v).toMatch(
      /^spec\.template\.metadata\.labels: Invalid value: .* must match spec\.selector "cluster\.x-k8s\.io\/set-name=other".*; add every spec\.selector\.matchLabels entry/,
    );
  });
  it('expressions are honoured', () => {
    const sel = { matchExpressions: [{ key: 'cluster.x-k8s.io/set-name', operator: 'In', values: ['ms', 'x'] }] };
    expect(check('MachineSet', ms({ selector: sel }))).toEqual([]);
    const bad = { matchExpressions: [{ key: 'cluster.x-k8s.io/set-name', operator: 'DoesNotExist' }] };
    expect(check('MachineSet', ms({ selector: bad }))).toHaveLength(1);
  });
  it('an empty or malformed selector is reported', () => {
    expect(check('MachineSet', ms({ selector: {} }))[0]).toMatch(
      /^spec\.selector: Required value: the selector must not be empty/,
    );
    expect(check('MachineSet', ms({ selector: { matchExpressions: [{ key: 'k', operator: 'Near' }] } }))[0]).toMatch(
      /^spec\.selector: Invalid value: not a label selector \(matchExpressions\[0\]\.operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"\)/,
    );
    // The same shapes as the LabelSelector of the kind schemas (shared/api/meta.ts), which this rule does not load.
    for (const selector of [
      { matchLabels: { a: 1 } },
      { matchLabels: { a: 'b' }, extra: true },
      { matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] },
      { matchExpressions: [{ key: 'k', operator: 'Exists', values: 'v' }] },
      { matchExpressions: [{ operator: 'Exists' }] },
      [],
    ]) {
      const schemaSays = LabelSelector.safeParse(selector).success;
      expect(
        check('MachineSet', ms({ selector })).some((v) => v.includes('not a label selector')),
        JSON.stringify(selector),
      ).toBe(!schemaSays);
    }
  });
  it('capi-fn.io label keys are refused in the selector and the template labels, unless the old object had them', () => {
    const key = 'machine.capi-fn.io/provider-id-hash';
    const bySelector = ms({
      selector: {
        matchLabels: { 'cluster.x-k8s.io/set-name': 'ms' },
        matchExpressions: [{ key, operator: 'DoesNotExist' }],
      },
    });
    expect(check('MachineSet', bySelector)).toEqual([
      expect.stringMatching(
        /^spec\.selector: Invalid value: label key "machine\.capi-fn\.io\/provider-id-hash" is capi-fn's own bookkeeping .*; select by your own labels/,
      ),
    ]);
    const labels = { 'cluster.x-k8s.io/set-name': 'ms', 'capi-fn.io/anything': 'x' };
    const byTemplate = ms({ template: { metadata: { labels }, spec: machineSpec() } });
    expect(check('MachineSet', byTemplate)).toEqual([
      expect.stringMatching(/^spec\.template\.metadata\.labels: Invalid value: label key "capi-fn\.io\/anything"/),
    ]);
    // Another domain that merely ends in the same letters is the user's own.
    const lookalike = { 'cluster.x-k8s.io/set-name': 'ms', 'notcapi-fn.io/x': 'y' };
    expect(check('MachineSet', ms({ template: { metadata: { labels: lookalike }, spec: machineSpec() } }))).toEqual([]);
    // Told together with the set's other selector faults, not instead of them.
    const both = ms({
      selector: {
        matchLabels: { 'cluster.x-k8s.io/set-name': 'other' },
        matchExpressions: [{ key, operator: 'Exists' }],
      },
    });
    expect(check('MachineSet', both).map((v) => v.split(':')[0])).toEqual([
      'spec.selector',
      'spec.template.metadata.labels',
    ]);
    // Ratcheting: an object made before the rule can still be edited.
    expect(check('MachineSet', bySelector, bySelector)).toEqual([]);
    expect(check('MachineSet', byTemplate, byTemplate)).toEqual([]);
    expect(check('MachineDeployment', bySelector)).toHaveLength(1);
    expect(
      check('MachineHealthCheck', {
        metadata: { name: 'h' },
        spec: { clusterName: 'c1', selector: { matchLabels: { [key]: 'a' } } },
      }),
    ).toEqual([expect.stringMatching(/^spec\.selector: Invalid value: label key "machine\.capi-fn\.io/)]);
  });
  it('clusterName is immutable', () => {
    const [v] = check('MachineSet', ms({ clusterName: 'c2' }), ms());
    expect(v).toBe(
      'spec.clusterName: Forbidden: field is immutable (was "c1", now "c2"); keep "c1"; to manage machines of another cluster, create a new MachineSet with that clusterName',
    );
  });
  it('deletePolicy values', () => {
    expect(check('MachineSet', ms({ deletePolicy: 'Newest' }))).toEqual([]);
    expect(check('MachineSet', ms({ deletePolicy: 'Youngest' }))[0]).toMatch(
      /^spec\.deletePolicy: Unsupported value: "Youngest": supported values: "Random", "Newest", "Oldest"; use one of them/,
    );
  });
  it('template refs stay in the namespace; bootstrap data is required; version is semver', () => {
    const bad = ms({
      template: {
        metadata: { labels: { 'cluster.x-k8s.io/set-name': 'ms' } },
        spec: machineSpec({
          bootstrap: {},
          infrastructureRef: { ...infraRef, namespace: 'default' },
          version: 'latest',
        }),
      },
    });
    const out = check('MachineSet', bad);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(
      /^spec\.template\.spec\.infrastructureRef\.namespace: Invalid value: "default" must match the object's namespace "openshift-cluster-api"/,
    );
    expect(out[1]).toMatch(
      /^spec\.template\.spec\.bootstrap: Required value: expected either spec\.bootstrap\.dataSecretName or spec\.bootstrap\.configRef.*worker-user-data/,
    );
    expect(out[2]).toMatch(/^spec\.template\.spec\.version: Invalid value: "latest" must be a valid semantic version/);
  });
  it('a naming template needs {{ .random }}', () => {
    expect(
      check('MachineSet', ms({ machineNamingStrategy: { template: '{{ .machineSet.name }}-{{ .random }}' } })),
    ).toEqual([]);
    expect(check('MachineSet', ms({ machineNamingStrategy: { template: '{{ .machineSet.name }}' } }))[0]).toMatch(
      /must contain \{\{ \.random \}\}/,
    );
  });
  it('a naming template uses only upstream’s variables', () => {
    expect(
      check('MachineSet', ms({ machineNamingStrategy: { template: 'w-{{ .cluster.name }}-{{ .random }}' } })),
    ).toEqual([]);
    expect(
      check('MachineSet', ms({ machineNamingStrategy: { template: '{{ .machineSet.namespace }}-{{ .random }}' } }))[0],
    ).toBe(
      'spec.machineNamingStrategy.template: Invalid value: "{{ .machineSet.namespace }}-{{ .random }}" uses {{ .machineSet.namespace }}, which is not a variable; use only {{ .cluster.name }}, {{ .machineSet.name }} and {{ .random }}',
    );
  });
});

describe('Machine', () => {
  const machine = (spec: JsonObject = {}, meta: JsonObject = {}) => ({
    metadata: { name: 'm', ...meta },
    spec: machineSpec(spec),
  });
  it.each([
    ['v1.32.4', true],
    ['1.32', true],
    ['v1.32.4-rc.1+build.5', true],
    ['v1..2', false],
    ['one', false],
  ])('version %s valid: %s', (version, ok) => {
    expect(check('Machine', machine({ version }))).toHaveLength(ok ? 0 : 1);
  });
  it('needs dataSecretName or configRef, except a MachinePool’s machines', () => {
    expect(check('Machine', machine({ bootstrap: {} }))).toHaveLength(1);
    expect(check('Machine', machine({ bootstrap: { configRef: { kind: 'KubeadmConfig', name: 'x' } } }))).toEqual([]);
    expect(
      check('Machine', machine({ bootstrap: {} }, { ownerReferences: [{ kind: 'MachinePool', name: 'p' }] })),
    ).toEqual([]);
  });
  it('durations and readiness gates', () => {
    expect(check('Machine', machine({ nodeDrainTimeout: '5 minutes' }))[0]).toMatch(
      /^spec\.nodeDrainTimeout: Invalid value: "5 minutes" is not a duration/,
    );
    expect(check('Machine', machine({ readinessGates: [{ conditionType: 'A' }, { conditionType: 'A' }] }))[0]).toMatch(
      /readinessGates\[1\]/,
    );
  });
  it('clusterName is immutable', () => {
    expect(check('Machine', machine({ clusterName: 'x' }), machine())).toHaveLength(1);
  });
});

describe('MachineDeployment', () => {
  const md = (strategy: JsonObject) =>
    ({
      metadata: { name: 'md' },
      spec: {
        clusterName: 'c1',
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: machineSpec() },
        strategy,
      },
    }) as JsonObject;
  it('rolling update bounds', () => {
    expect(
      check('MachineDeployment', md({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } })),
    ).toEqual([]);
    expect(check('MachineDeployment', md({ rollingUpdate: { maxSurge: 'lots' } }))[0]).toMatch(
      /maxSurge: Invalid value: "lots" must be a non-negative integer or a percentage/,
    );
    expect(check('MachineDeployment', md({ rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }))[0]).toMatch(
      /cannot both be 0/,
    );
    expect(check('MachineDeployment', md({ rollingUpdate: { deletePolicy: 'Any' } }))[0]).toMatch(
      /deletePolicy: Unsupported value/,
    );
  });
});

describe('MachineHealthCheck', () => {
  const mhc = (spec: JsonObject) => ({
    metadata: { name: 'h' },
    spec: { clusterName: 'c1', selector: { matchLabels: { a: 'b' } }, ...spec },
  });
  it.each([
    [{ nodeStartupTimeout: '10m' }, []],
    [{ nodeStartupTimeout: '0' }, []],
    [{ nodeStartupTimeout: '30s' }, []],
    [
      { nodeStartupTimeout: '29s' },
      [/^spec\.nodeStartupTimeout: Invalid value: "29s" is shorter than the 30s minimum/],
    ],
    [{ maxUnhealthy: '40%' }, []],
    [{ maxUnhealthy: 2 }, []],
    [{ maxUnhealthy: 'forty' }, [/^spec\.maxUnhealthy: Invalid value: "forty" must be either an int or a percentage/]],
    [
      { unhealthyRange: '[3-1]' },
      [/^spec\.unhealthyRange: Invalid value: "\[3-1\]": the minimum is larger than the maximum/],
    ],
    [{ selector: {} }, [/^spec\.selector: Required value: must not be empty/]],
    [
      { unhealthyConditions: [{ type: 'Ready', status: 'False', timeout: 'soon' }] },
      [/unhealthyConditions\[0\]\.timeout/],
    ],
    [
      { remediationTemplate: { kind: 'T', name: 't', namespace: 'elsewhere' } },
      [/^spec\.remediationTemplate\.namespace: Invalid value/],
    ],
  ])('%j', (spec, want) => {
    const out = check('MachineHealthCheck', mhc(spec));
    expect(out).toHaveLength(want.length);
    want.forEach((re, i) => {
      expect(out[i]).toMatch(re);
    });
  });
});

describe('Cluster', () => {
  const cluster = (ref: JsonObject | undefined) => ({
    metadata: { name: 'c' },
    spec: ref ? { infrastructureRef: ref } : {},
  });
  const ref = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'AWSCluster', name: 'c', namespace: NS };
  it('infrastructureRef: same namespace; immutable except its version', () => {
    expect(check('Cluster', cluster({ ...ref, namespace: 'other' }))).toHaveLength(1);
    expect(
      check('Cluster', cluster({ ...ref, apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2' }), cluster(ref)),
    ).toEqual([]);
    expect(check('Cluster', cluster({ ...ref, name: 'd' }), cluster(ref))[0]).toMatch(
      /^spec\.infrastructureRef: Forbidden: cannot be changed once set \(was "AWSCluster\/c"\)/,
    );
    expect(check('Cluster', cluster(ref), cluster(undefined))).toEqual([]);
  });
});
