import { beforeAll, describe, expect, it } from 'vitest';
import { applyJsonPatch, decodeJsonPatch } from '../../local/apiserver/patch/json-patch.ts';
import { loadAllKinds } from '../../shared/api/kind-schemas.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { loadFixtures } from '../../test/fixtures/index.ts';
import type { AdmissionRequest, AdmissionResponse } from './admission-review.ts';
import type { JsonObject } from './json.ts';
import { type ReviewContext, review } from './review.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const UPSTREAM: ReviewContext = { openshift: undefined };
const AWS: ReviewContext = {
  openshift: { infrastructureName: 'ocp-aws-7xk2p', platformType: 'AWS', provider: PLATFORM_PROVIDERS.AWS },
};

function request(
  o: KubeObject | JsonObject,
  operation: AdmissionRequest['operation'] = 'CREATE',
  old?: JsonObject,
): AdmissionRequest {
  const obj = o as KubeObject;
  const [group, version] = (obj.apiVersion ?? '').includes('/')
    ? obj.apiVersion!.split('/')
    : ['', obj.apiVersion ?? ''];
  return {
    uid: 'uid-1',
    kind: { group: group!, version: version!, kind: obj.kind ?? '' },
    operation,
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata?.name ? { name: obj.metadata.name } : {}),
    object: operation === 'DELETE' ? null : o,
    oldObject: old ?? null,
  };
}

function patched(o: JsonObject, r: AdmissionResponse): JsonObject {
  if (!r.patch) return o;
  expect(r.patchType).toBe('JSONPatch');
  return applyJsonPatch(
    structuredClone(o),
    decodeJsonPatch(JSON.parse(Buffer.from(r.patch, 'base64').toString())),
  ) as JsonObject;
}

/** Mutate then validate, as the API server does. */
function admit(
  o: JsonObject,
  ctx: ReviewContext,
  operation: AdmissionRequest['operation'] = 'CREATE',
  old?: JsonObject,
) {
  const m = review(request(o, operation, old), ctx, 'mutate');
  if (!m.allowed) return { mutated: o, response: m };
  const mutated = patched(o, m);
  return { mutated, response: review(request(mutated, operation, old), ctx, 'validate') };
}

describe('the docs-shaped fixtures', () => {
  const capi = loadFixtures().filter((f) => /cluster\.x-k8s\.io\//.test(f.object.apiVersion ?? ''));
  it.each(capi.map((f) => [f.label, f.object] as const))('%s is admitted (upstream rules)', (label, object) => {
    const { response } = admit(object as JsonObject, UPSTREAM);
    if (label.startsWith('core/01-cluster-lifecycle.yaml#4')) {
      // Upstream refuses remediation templates in another namespace; the fixture shows one anyway.
      expect(response.status?.message).toContain('spec.remediationTemplate.namespace');
      return;
    }
    if (label.startsWith('azure/08-azuremachinetemplate-options.yaml#0')) {
      // Upstream admits VM extensions and a role assignment for the system identity; capi-fn makes neither.
      expect(response.status?.message).toContain(
        'spec.template.spec.vmExtensions: Unsupported value: capi-fn installs no VM extensions',
      );
      expect(response.status?.message).toContain(
        'spec.template.spec.systemAssignedIdentityRole: Unsupported value: capi-fn creates no role assignments',
      );
      return;
    }
    if (label.startsWith('vsphere/08-vspheremachinetemplate-options.yaml#0')) {
      // Upstream CAPV fields capi-fn's vSphere provider does not implement are refused, each named; the storage
      // policy it does implement is not.
      expect(response.status?.message).not.toContain('storagePolicyName');
      for (const field of [
        'additionalDisksGiB',
        'dataDisks',
        'tagIDs',
        'resources',
        'hardwareVersion',
        'thumbprint',
        'powerOffMode',
        'namingStrategy.template',
        'network.routes',
      ])
        expect(response.status?.message).toContain(`spec.template.spec.${field}: Unsupported value`);
      return;
    }
    expect(response.status?.message, label).toBeUndefined();
    expect(response.allowed).toBe(true);
  });

  it('every AWS fixture is admitted on an AWS OpenShift cluster; other providers’ kinds are not', () => {
    const aws = loadFixtures().filter(
      (f) => f.file.startsWith('aws/') && /cluster\.x-k8s\.io\//.test(f.object.apiVersion ?? ''),
    );
    expect(aws.length).toBeGreaterThan(5);
    for (const f of aws) expect(admit(f.object as JsonObject, AWS).response.status?.message, f.label).toBeUndefined();
    const gcp = loadFixtures().find((f) => f.file === 'gcp/03-gcpmachinetemplate.yaml')!;
    expect(admit(gcp.object as JsonObject, AWS).response).toMatchObject({
      allowed: false,
      status: { code: 403, reason: 'Forbidden' },
    });
  });
});

describe('responses', () => {
  const ms = {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineSet',
    metadata: { name: 'ms', namespace: 'openshift-cluster-api' },
    spec: {
      clusterName: 'ocp-aws-7xk2p',
      template: {
        spec: {
          clusterName: 'ocp-aws-7xk2p',
          bootstrap: { dataSecretName: 'worker-user-data' },
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
            kind: 'AWSMachineTemplate',
            name: 't',
          },
        },
      },
    },
  };

  it('mutate returns the defaults as a base64 JSON Patch with the request uid', () => {
    const r = review(request(ms), AWS, 'mutate');
    expect(r).toMatchObject({ uid: 'uid-1', allowed: true, patchType: 'JSONPatch' });
    const out = patched(ms, r);
    expect(out).toMatchObject({
      metadata: { labels: { 'cluster.x-k8s.io/cluster-name': 'ocp-aws-7xk2p' } },
      spec: { replicas: 1, deletePolicy: 'Random', selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'ms' } } },
    });
    expect(review(request(out), AWS, 'mutate')).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('a denial is shaped like an API validation error, with field causes', () => {
    const r = review(request({ ...ms, spec: { ...ms.spec, selector: { matchLabels: { x: 'y' } } } }), AWS, 'validate');
    expect(r.allowed).toBe(false);
    expect(r.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: { name: 'ms', group: 'cluster.x-k8s.io', kind: 'MachineSet' },
    });
    expect(r.status?.message).toMatch(
      /^MachineSet\.cluster\.x-k8s\.io "ms" is invalid: spec\.template\.metadata\.labels: Invalid value/,
    );
    expect(r.status?.details?.causes?.[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
    });
  });

  it('several violations are listed together; schema errors carry the field path', () => {
    const r = review(
      request({
        ...ms,
        metadata: { ...ms.metadata, namespace: 'default' },
        spec: { ...ms.spec, replicas: -1, bogus: 1 },
      }),
      AWS,
      'validate',
    );
    expect(r.status?.message).toMatch(
      /^MachineSet\.cluster\.x-k8s\.io "ms" is invalid: \[metadata\.namespace: Forbidden: .*; spec\.replicas: Invalid value: -1: must be greater than or equal to 0; correct the value; spec\.selector: Required value: must be set; add spec\.selector .*; spec\.bogus: Invalid value: unknown field; remove it; `kubectl explain machineset\.spec` lists/,
    );
  });

  it('schema validation ratchets on update: an old error does not block an unrelated change', () => {
    const bad = {
      ...ms,
      spec: { ...ms.spec, selector: { matchLabels: { 'cluster.x-k8s.io/set-name': 'ms' } }, legacy: true },
    };
    (bad.spec.template as JsonObject).metadata = { labels: { 'cluster.x-k8s.io/set-name': 'ms' } };
    const withFinalizer = { ...bad, metadata: { ...bad.metadata, finalizers: ['cluster.x-k8s.io/machineset'] } };
    expect(review(request(withFinalizer, 'UPDATE', bad), UPSTREAM, 'validate').allowed).toBe(true);
    expect(review(request(bad), UPSTREAM, 'validate').allowed).toBe(false);
  });

  it('rules ratchet on update too: a set made before the webhook can still get its finalizer', () => {
    const mismatched = {
      ...ms,
      spec: {
        ...ms.spec,
        selector: { matchLabels: { app: 'a' } },
        template: { ...ms.spec.template, metadata: { labels: { app: 'b' } } },
      },
    };
    const finalized = {
      ...mismatched,
      metadata: { ...mismatched.metadata, finalizers: ['cluster.x-k8s.io/machineset'] },
    };
    expect(review(request(finalized, 'UPDATE', mismatched), UPSTREAM, 'validate').allowed).toBe(true);
    // A change that breaks the rule differently is still refused.
    const worse = {
      ...mismatched,
      spec: { ...mismatched.spec, template: { ...ms.spec.template, metadata: { labels: { app: 'c' } } } },
    };
    expect(review(request(worse, 'UPDATE', mismatched), UPSTREAM, 'validate').allowed).toBe(false);
  });

  it('an object being deleted is always let through (finalizer removal)', () => {
    const deleting = {
      ...ms,
      metadata: { ...ms.metadata, namespace: 'default', deletionTimestamp: '2026-01-01T00:00:00Z' },
    };
    expect(review(request(deleting, 'UPDATE', ms), AWS, 'validate')).toEqual({ uid: 'uid-1', allowed: true });
    expect(review(request(deleting, 'UPDATE', ms), AWS, 'mutate')).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('kinds outside the Cluster API groups, and CONNECT, are allowed untouched', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
    expect(review(request(pod), AWS, 'validate')).toEqual({ uid: 'uid-1', allowed: true });
    expect(review({ ...request(ms), operation: 'CONNECT' }, AWS, 'validate')).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('the managed Cluster cannot be deleted', () => {
    const cluster = {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name: 'ocp-aws-7xk2p', namespace: 'openshift-cluster-api' },
    };
    const r = review({ ...request(cluster, 'DELETE'), oldObject: cluster }, AWS, 'validate');
    expect(r).toMatchObject({ allowed: false, status: { code: 403, reason: 'Forbidden' } });
    expect(r.status?.message).toMatch(
      /^Cluster\.cluster\.x-k8s\.io "ocp-aws-7xk2p" is forbidden: metadata\.name: Forbidden/,
    );
  });

  it('an autoscaler annotation that is not a number fails defaulting with the annotation named', () => {
    const o = {
      ...ms,
      metadata: {
        ...ms.metadata,
        annotations: {
          'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size': 'x',
          'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size': '3',
        },
      },
    };
    const r = review(request(o), AWS, 'mutate');
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toContain(
      'metadata.annotations[cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size]',
    );
  });

  it('an object that breaks the schema is answered with its fields, never a crash in a rule (the 10,000 sweep)', () => {
    // A null label value reached the GCP rules' lowercasing: a 500 before the schema ran.
    const template = (labels: JsonObject) => ({
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'GCPMachineTemplate',
      metadata: { name: 't', namespace: 'default' },
      spec: { template: { spec: { instanceType: 'n1-standard-4', additionalLabels: labels } } },
    });
    const broken = template({ owner: null });
    const r = review(request(broken), UPSTREAM, 'validate');
    expect(r).toMatchObject({ allowed: false, status: { code: 422 } });
    expect(r.status?.message).toContain('spec.template.spec.additionalLabels.owner: Invalid value: null');
    // Stored that way before the webhook: the update is refused naming the field, and why nothing else was checked.
    const u = review(request(template({ owner: null, team: 'a' }), 'UPDATE', broken), UPSTREAM, 'validate');
    expect(u).toMatchObject({ allowed: false, status: { code: 422 } });
    expect(u.status?.message).toContain('the stored object has this error too');
    // An empty key is named too, not an empty path.
    const empty = review(request({ ...template({}), '': 1 }), UPSTREAM, 'validate');
    expect(empty.status?.message).toContain('[""]: Invalid value: unknown field');
  });

  it('a CREATE without an object is refused, not a crash', () => {
    const r = review({ ...request(ms), object: null }, AWS, 'validate');
    expect(r).toMatchObject({ allowed: false, status: { code: 422 } });
  });
});

describe('deep nesting (audit 14)', () => {
  it('an object nested thousands of levels deep is denied naming the limit by both endpoints, never a throw', () => {
    const depth = 5_000;
    const ms = JSON.parse(
      `{"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"MachineSet","metadata":{"name":"deep","namespace":"openshift-cluster-api"},"spec":{"clusterName":"c","template":{"spec":{"clusterName":"c","bootstrap":{"dataSecretName":"s"},"infrastructureRef":{"kind":"AWSMachineTemplate","name":"t"},"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}}}`,
    ) as JsonObject;
    for (const mode of ['mutate', 'validate'] as const) {
      const r = review(request(ms), AWS, mode);
      expect(r.allowed, mode).toBe(false);
      expect(r.status?.message).toContain('request.object: Invalid value: nests deeper than 512 levels');
    }
  });
});

describe('warnings', () => {
  const md = {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineDeployment',
    metadata: { name: 'workers', namespace: 'default' },
    spec: {
      clusterName: 'c1',
      selector: { matchLabels: { pool: 'workers' } },
      template: {
        metadata: { labels: { pool: 'workers' } },
        spec: {
          clusterName: 'c1',
          bootstrap: { dataSecretName: 'worker-user-data' },
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'AWSMachineTemplate',
            name: 't',
          },
        },
      },
    },
  };
  it('a MachineDeployment is admitted with a warning that capi-fn does not reconcile it yet', () => {
    const { response } = admit(md, UPSTREAM);
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([expect.stringContaining('MachineDeployments are accepted but not reconciled')]);
    // Said once, on create: updates and other kinds carry no warning.
    expect(admit(md, UPSTREAM, 'UPDATE', md).response.warnings).toBeUndefined();
  });
});
