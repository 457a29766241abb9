// CustomResourceDefinitions: establishment, structural-schema validation of CRDs, CR validation messages,
// pruning and fieldValidation, defaults, special extensions, several versions, discovery and deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { type Client, eventually, startTestServer, W, widget, widgetCrd } from './helpers.ts';

let api: ApiServer;
let c: Client;

beforeAll(async () => {
  ({ api, c } = await startTestServer({ crds: [widgetCrd()] }));
});
afterAll(() => api.stop());

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

describe('CRD lifecycle', () => {
  it('a created CRD is served, NamesAccepted and Established, with acceptedNames and storedVersions', async () => {
    const crd = widgetCrd('life.example.com');
    const r = await c.post(CRDS, crd);
    expect(r.status).toBe(201);
    const got = (await c.get(`${CRDS}/widgets.life.example.com`)).body;
    const conds = Object.fromEntries(
      got.status.conditions.map((x: { type: string; status: string; reason: string }) => [
        x.type,
        `${x.status}/${x.reason}`,
      ]),
    );
    expect(conds).toEqual({ NamesAccepted: 'True/NoConflicts', Established: 'True/InitialNamesAccepted' });
    expect(got.status.acceptedNames).toEqual({
      plural: 'widgets',
      singular: 'widget',
      shortNames: ['wd'],
      kind: 'Widget',
      listKind: 'WidgetList',
      categories: ['cluster-api'],
    });
    expect(got.status.storedVersions).toEqual(['v1']);
    const cr = await c.post('/apis/life.example.com/v1/namespaces/default/widgets', {
      ...widget('x'),
      apiVersion: 'life.example.com/v1',
    });
    expect(cr.status).toBe(201);
  });

  it('deleting a CRD adds the cleanup finalizer, deletes its CRs, then the CRD goes and its URLs 404', async () => {
    const base = '/apis/life.example.com/v1/namespaces/default/widgets';
    await c.post(base, {
      ...widget('y', { replicas: 1 }, { finalizers: ['example.com/hold'] }),
      apiVersion: 'life.example.com/v1',
    });
    const d = await c.delete(`${CRDS}/widgets.life.example.com`);
    expect(d.status).toBe(200);
    expect(d.body.metadata.finalizers).toContain('customresourcecleanup.apiextensions.k8s.io');
    expect(d.body.status.conditions.find((x: { type: string }) => x.type === 'Terminating')).toMatchObject({
      status: 'True',
      reason: 'InstanceDeletionPending',
    });
    await eventually('x deleted', async () => (await c.get(`${base}/x`)).status === 404);
    const y = await c.get(`${base}/y`);
    expect(y.body.metadata.deletionTimestamp).toBeTruthy();
    const blocked = await c.post(base, { ...widget('z'), apiVersion: 'life.example.com/v1' });
    expect(blocked.status).toBe(405);
    expect(blocked.body.message).toBe('create not allowed while custom resource definition is terminating');
    await c.patch(`${base}/y`, { metadata: { finalizers: null } }, 'merge');
    await eventually('crd gone', async () => (await c.get(`${CRDS}/widgets.life.example.com`)).status === 404);
    expect((await c.get(base)).status).toBe(404);
  });

  it('rejects non-structural or inconsistent CRDs with 422', async () => {
    const bad = widgetCrd('bad.example.com');
    const v = bad.spec.versions[0]!;
    (v.schema.openAPIV3Schema.properties.spec as Record<string, unknown>).type = undefined;
    const r = await c.post(CRDS, JSON.parse(JSON.stringify(bad)));
    expect(r.status).toBe(422);
    expect(r.body.message).toContain(
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    );
    const wrongName = { ...widgetCrd('bad2.example.com'), metadata: { name: 'nope.example.com' } };
    const r2 = await c.post(CRDS, wrongName);
    expect(r2.status).toBe(422);
    expect(r2.body.message).toContain(
      'metadata.name: Invalid value: "nope.example.com": must be spec.names.plural+"."+spec.group',
    );
    const noStorage = widgetCrd('bad3.example.com');
    noStorage.spec.versions[0]!.storage = false;
    expect((await c.post(CRDS, noStorage)).status).toBe(422);
  });

  it('a name clash is NamesAccepted=False and the CRD is not served', async () => {
    const clash = widgetCrd('example.com');
    const other = {
      ...clash,
      metadata: { name: 'gadgets.example.com' },
      spec: { ...clash.spec, names: { ...clash.spec.names, plural: 'gadgets', singular: 'gadget', shortNames: [] } },
    };
    const r = await c.post(CRDS, other);
    expect(r.status).toBe(201);
    const got = (await c.get(`${CRDS}/gadgets.example.com`)).body;
    const na = got.status.conditions.find((x: { type: string }) => x.type === 'NamesAccepted');
    expect(na).toMatchObject({ status: 'False', message: '"Widget" is already in use' });
    expect((await c.get('/apis/example.com/v1/namespaces/default/gadgets')).status).toBe(404);
    await c.delete(`${CRDS}/gadgets.example.com`);
  });
});

describe('custom resource validation', () => {
  it('type, required, enum, minimum, maxLength, pattern and format errors use Kubernetes messages', async () => {
    const r = await c.post(
      W(),
      widget('bad', { replicas: 'x', color: 'green', name: 'TOOLONGNAME', when: 'yesterday' }),
    );
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    const causes = r.body.details.causes.map((x: { field: string; message: string }) => `${x.field}: ${x.message}`);
    expect(causes).toEqual(
      expect.arrayContaining([
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        'spec.color: Unsupported value: "green": supported values: "red", "blue"',
        'spec.name: Too long: may not be more than 5 bytes',
        'spec.name: Invalid value: "TOOLONGNAME": spec.name in body should match \'^[a-z]+$\'',
        'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      ]),
    );
    expect(r.body.message.startsWith('Widget.example.com "bad" is invalid: [')).toBe(true);
    const req = await c.post(W(), widget('req', {}));
    expect(req.body.message).toBe('Widget.example.com "req" is invalid: spec.replicas: Required value');
    const min = await c.post(W(), widget('min', { replicas: -1 }));
    expect(min.body.message).toBe(
      'Widget.example.com "min" is invalid: spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    );
  });

  it('int-or-string, nullable and embedded resources', async () => {
    expect((await c.post(W(), widget('ios1', { replicas: 1, size: 3 }))).status).toBe(201);
    expect((await c.post(W(), widget('ios2', { replicas: 1, size: '50%' }))).status).toBe(201);
    const bad = await c.post(W(), widget('ios3', { replicas: 1, size: true }));
    expect(bad.status).toBe(422);
    const nul = await c.post(W(), widget('nul', { replicas: 1, note: null, color: null }));
    expect(nul.status).toBe(201);
    expect(nul.body.spec.note).toBeNull();
    expect(nul.body.spec.color).toBe('red');
    const emb = await c.post(W(), widget('emb', { replicas: 1, template: { metadata: { name: 'x' } } }));
    expect(emb.status).toBe(422);
    expect(emb.body.message).toContain('spec.template.apiVersion: Required value');
    const ok = await c.post(
      W(),
      widget('emb2', {
        replicas: 1,
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', junk: 1 }, spec: { any: 'thing' } },
      }),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.spec.template).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { any: 'thing' },
    });
  });

  it('set and map list types reject duplicates', async () => {
    const r = await c.post(
      W(),
      widget('dups', { replicas: 1, tags: ['a', 'a'], ports: [{ name: 'x' }, { name: 'x' }] }),
    );
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('spec.tags[1]: Duplicate value: "a"');
    expect(r.body.message).toContain('spec.ports[1]: Duplicate value: map[string]interface {}{"name":"x"}');
  });
});

describe('pruning, fieldValidation and defaults', () => {
  it('Strict rejects unknown fields, Warn warns and prunes, Ignore prunes silently', async () => {
    const body = widget('fv', { replicas: 1, foo: 1, extra: { anything: { goes: true } } });
    (body as Record<string, unknown>).bogus = 'x';
    const strict = await c.post(`${W()}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "bogus", unknown field "spec.foo"',
    );
    const warn = await c.post(W(), body);
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toEqual('299 - "unknown field \\"bogus\\"", 299 - "unknown field \\"spec.foo\\""');
    expect(warn.body.spec.foo).toBeUndefined();
    expect(warn.body.bogus).toBeUndefined();
    expect(warn.body.spec.extra).toEqual({ anything: { goes: true } });
    const ignore = await c.post(`${W()}?fieldValidation=Ignore`, { ...body, metadata: { name: 'fv2' } });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
    const dup = await c.call('POST', `${W()}?fieldValidation=Strict`, {
      raw: '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"dup"},"spec":{"replicas":1,"replicas":2}}',
    });
    expect(dup.status).toBe(400);
    expect(dup.body.message).toContain('duplicate field "spec.replicas"');
  });

  it('schema defaults fill absent fields, including nested objects with default {}', async () => {
    const r = await c.post(W(), widget('def', { replicas: 1 }));
    expect(r.body.spec.color).toBe('red');
    expect(r.body.spec.nested).toEqual({ level: 3 });
  });

  it('the status subresource ignores status on create even with unknown fields', async () => {
    const r = await c.post(W(), { ...widget('st'), status: { phase: 'x', junk: 1 } });
    expect(r.status).toBe(201);
    expect(r.body.status).toBeUndefined();
  });
});

describe('several versions with conversion None', () => {
  it('serves every version, stores in the storage version, rewrites apiVersion and applies per-version defaults', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.multi.example.com' },
      spec: {
        group: 'multi.example.com',
        scope: 'Cluster',
        names: { plural: 'things', singular: 'thing', kind: 'Thing' },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: false,
            deprecated: true,
            deprecationWarning: 'multi.example.com/v1alpha1 Thing is deprecated; use v1',
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { a: { type: 'string' }, old: { type: 'string', default: 'o' } },
                  },
                },
              },
            },
          },
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { a: { type: 'string' }, b: { type: 'string', default: 'bee' } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    expect((await c.post(CRDS, crd)).status).toBe(201);
    const created = await c.post('/apis/multi.example.com/v1alpha1/things', {
      apiVersion: 'multi.example.com/v1alpha1',
      kind: 'Thing',
      metadata: { name: 't1' },
      spec: { a: 'x' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.warning).toBe('299 - "multi.example.com/v1alpha1 Thing is deprecated; use v1"');
    const v1 = await c.get('/apis/multi.example.com/v1/things/t1');
    expect(v1.body.apiVersion).toBe('multi.example.com/v1');
    expect(v1.body.spec).toEqual({ a: 'x', b: 'bee' });
    const old = await c.get('/apis/multi.example.com/v1alpha1/things/t1');
    expect(old.body.apiVersion).toBe('multi.example.com/v1alpha1');
    expect(old.body.spec).toEqual({ a: 'x', old: 'o' });
    const disc = await c.get('/apis/multi.example.com');
    expect(disc.body.preferredVersion.version).toBe('v1');
    expect((await c.get('/apis/multi.example.com/v1beta1/things')).status).toBe(404);
  });
});

describe('discovery', () => {
  it('aggregated discovery v2 lists CRDs with short names, categories and subresources', async () => {
    const r = await c.get('/apis', {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    expect(r.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const group = r.body.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'example.com');
    const res = group.versions[0].resources.find((x: { resource: string }) => x.resource === 'widgets');
    expect(res).toMatchObject({
      responseKind: { group: 'example.com', version: 'v1', kind: 'Widget' },
      scope: 'Namespaced',
      singularResource: 'widget',
      shortNames: ['wd'],
      categories: ['cluster-api'],
    });
    expect(res.subresources.map((s: { subresource: string }) => s.subresource)).toEqual(['status', 'scale']);
    const legacy = await c.get('/api/v1');
    const names = legacy.body.resources.map((x: { name: string }) => x.name);
    expect(names).toEqual(
      expect.arrayContaining(['pods', 'pods/status', 'pods/eviction', 'namespaces/finalize', 'nodes/status']),
    );
    const ev = legacy.body.resources.find((x: { name: string }) => x.name === 'pods/eviction');
    expect(ev).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  });

  it('OpenAPI v3 root and per-GV documents carry GVK and fieldValidation on PATCH', async () => {
    const root = await c.get('/openapi/v3');
    const url = root.body.paths['apis/example.com/v1'].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/example.com\/v1\?hash=[0-9A-F]+$/);
    const doc = await c.get(url);
    const p = doc.body.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
    expect(p['x-kubernetes-group-version-kind']).toEqual({ group: 'example.com', version: 'v1', kind: 'Widget' });
    expect(p.parameters.map((x: { name: string }) => x.name)).toContain('fieldValidation');
    expect(doc.body.components.schemas['com.example.v1.Widget'].properties.spec.description).toBe(
      'Desired state of the widget.',
    );
    expect((await c.get('/openapi/v2')).status).toBe(404);
  });
});
