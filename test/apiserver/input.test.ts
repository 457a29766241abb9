// Input the server must refuse as kube-apiserver does rather than fail on (audit 14): malformed path escapes and
// Secret data that is not base64.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../local/apiserver/index.ts';
import { base64ErrorOffset } from '../../local/apiserver/schema/bytes.ts';
import { type Client, startTestServer } from './helpers.ts';

let api: ApiServer;
let c: Client;
const logs: string[] = [];
beforeAll(async () => {
  ({ api, c } = await startTestServer({ logger: (l) => logs.push(l) }));
  await c.post('/api/v1/namespaces', { metadata: { name: 'in' } });
});
afterAll(() => api.stop());

describe('malformed percent-encoding in the path (audit 14)', () => {
  it('is a 400 naming the escape, not a 500 with a stack trace', async () => {
    const truncated = await c.get('/api/v1/namespaces/in/configmaps/%E0%A4%A');
    expect(truncated.status).toBe(400);
    expect(truncated.body).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(truncated.body.message).toBe('invalid URL escape "%A"');
    const notHex = await c.get('/api/v1/namespaces/%ZZ/configmaps');
    expect(notHex.status).toBe(400);
    expect(notHex.body.message).toBe('invalid URL escape "%ZZ"');
    expect((await c.get('/api/v1/namespaces/in/configmaps/%FF')).status).toBe(400);
    expect(logs.filter((l) => l.includes('URI malformed'))).toEqual([]);
    // Well-formed escapes still decode.
    expect((await c.get('/api/v1/namespaces/%69n/configmaps')).status).toBe(200);
  });
});

describe('Secret data (audit 14)', () => {
  const secrets = '/api/v1/namespaces/in/secrets';

  it('data that is not base64 is refused as upstream decoding refuses it, naming the key', async () => {
    const r = await c.post(secrets, { metadata: { name: 's1' }, data: { ok: 'YWRtaW4=', password: 'admin' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(r.body.message).toBe(
      'Secret in version "v1" cannot be handled as a Secret: data[password]: illegal base64 data at input byte 4',
    );
    expect((await c.get(`${secrets}/s1`)).status).toBe(404);
    // The audit's object: the body fails decoding before its key is validated, as upstream.
    const audit = await c.post(secrets, { metadata: { name: 's2' }, data: { 'bad key!': 'not base64 !!!' } });
    expect(audit.status).toBe(400);
    expect(audit.body.message).toMatch(/data\[bad key!\]: illegal base64 data at input byte 3$/);
  });

  it('an invalid key is a 422 naming it; patches and updates are checked too', async () => {
    const r = await c.post(secrets, { metadata: { name: 's3' }, data: { 'bad key!': 'dmFsdWU=' } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ reason: 'Invalid', details: { name: 's3', kind: 'Secret' } });
    expect(r.body.details.causes).toEqual([
      expect.objectContaining({ reason: 'FieldValueInvalid', field: 'data[bad key!]' }),
    ]);
    const ok = await c.post(secrets, { metadata: { name: 's4' }, data: { good: 'dmFsdWU=' } });
    expect(ok.status).toBe(201);
    const patch = await c.patch(`${secrets}/s4`, { data: { good: 'not base64' } }, 'merge');
    expect(patch.status).toBe(400);
    expect(patch.body.message).toMatch(/data\[good\]: illegal base64 data/);
    const put = await c.put(`${secrets}/s4`, { metadata: { name: 's4' }, data: { good: 'abc' } });
    expect(put.status).toBe(400);
    expect((await c.get(`${secrets}/s4`)).body.data).toEqual({ good: 'dmFsdWU=' });
    // stringData is plain text and is encoded by the server.
    const sd = await c.post(secrets, { metadata: { name: 's5' }, stringData: { k: 'not base64 !!!' } });
    expect(sd.status).toBe(201);
    expect(sd.body.data).toEqual({ k: Buffer.from('not base64 !!!').toString('base64') });
  });
});

describe('deep nesting (audit 14)', () => {
  const nested = (depth: number) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };
  it('an object nested deeper than 512 levels is a 400 at once, not a 500 or a stored object no YAML read survives', async () => {
    for (const depth of [600, 2_000, 20_000]) {
      // Written as text: JSON.stringify itself recurses.
      const raw = `{"metadata":{"name":"deep-${depth}"},"extra":${'{"a":'.repeat(depth)}"leaf"${'}'.repeat(depth)}}`;
      const r = await c.post('/api/v1/namespaces/in/configmaps', undefined, { raw, contentType: 'application/json' });
      expect(r.status, `depth ${depth}`).toBe(400);
      expect(r.body.message).toContain('nests deeper than 512 levels');
    }
    // Within the limit the body is decoded as before (the unknown field is dropped, as non-strict decoding does).
    const ok = await c.post('/api/v1/namespaces/in/configmaps', { metadata: { name: 'deep-ok' }, x: nested(500) });
    expect(ok.status).toBe(201);
    expect(logs.filter((l) => /Maximum call stack/.test(l))).toEqual([]);
  });
});

describe('base64ErrorOffset', () => {
  it.each([
    ['', undefined],
    ['YWRtaW4=', undefined],
    ['YQ==', undefined],
    ['YWRt\naW4=', undefined],
    ['admin', 4],
    ['abc', 0],
    ['not base64 !!!', 3],
    ['YQ=', 3],
    ['Y===', 1],
    ['YWRtaW4=x', 8],
  ])('%j -> %s (what Go reports)', (input, offset) => {
    expect(base64ErrorOffset(input)).toBe(offset);
  });
});
