import { describe, expect, it } from 'vitest';
import { type DecodeWork, decodeProtobufObject, pbBytes, pbEnvelope, pbVarint } from './protobuf.ts';

const entry = (k: string, v: string) => Buffer.concat([pbBytes(1, k), pbBytes(2, v)]);

describe('protobuf envelope decoding', () => {
  it('decodes a Namespace as kubectl create namespace sends it', () => {
    const meta = Buffer.concat([
      pbBytes(1, 'ns1'),
      pbBytes(2, ''),
      pbBytes(11, entry('team', 'a')),
      pbBytes(12, entry('note', 'n')),
    ]);
    const raw = Buffer.concat([pbBytes(1, meta), pbBytes(2, Buffer.alloc(0)), pbBytes(3, Buffer.alloc(0))]);
    expect(decodeProtobufObject(pbEnvelope('v1', 'Namespace', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns1', labels: { team: 'a' }, annotations: { note: 'n' } },
      spec: {},
    });
  });

  it('decodes ConfigMap data, binaryData and immutable', () => {
    const raw = Buffer.concat([
      pbBytes(1, pbBytes(1, 'cm')),
      pbBytes(2, entry('k', 'v')),
      pbBytes(3, Buffer.concat([pbBytes(1, 'bin'), pbBytes(2, Buffer.from([0, 1, 2]))])),
      pbVarint(4, 1),
    ]);
    expect(decodeProtobufObject(pbEnvelope('v1', 'ConfigMap', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      data: { k: 'v' },
      binaryData: { bin: 'AAEC' },
      immutable: true,
    });
  });

  it('decodes RoleBinding subjects and roleRef', () => {
    const subject = Buffer.concat([pbBytes(1, 'User'), pbBytes(2, 'rbac.authorization.k8s.io'), pbBytes(3, 'bob')]);
    const ref = Buffer.concat([pbBytes(1, 'rbac.authorization.k8s.io'), pbBytes(2, 'ClusterRole'), pbBytes(3, 'view')]);
    const raw = Buffer.concat([
      pbBytes(1, Buffer.concat([pbBytes(1, 'rb'), pbBytes(3, 'ns')])),
      pbBytes(2, subject),
      pbBytes(3, ref),
    ]);
    expect(decodeProtobufObject(pbEnvelope('rbac.authorization.k8s.io/v1', 'RoleBinding', raw))).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rb', namespace: 'ns' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    });
  });

  it('rejects data without the magic prefix, truncated fields and unsupported kinds', () => {
    expect(() => decodeProtobufObject(Buffer.from('{}'))).toThrow(/k8s/);
    expect(() => decodeProtobufObject(Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x05, 0x01])]))).toThrow(
      /truncated/,
    );
    expect(() => decodeProtobufObject(pbEnvelope('v1', 'Pod', Buffer.alloc(0)))).toThrow(/not supported/);
  });

  it('decodes what kubectl create service/deployment/pdb send, dropping unset non-pointer zero values', () => {
    const meta = (name: string) =>
      pbBytes(1, Buffer.concat([pbBytes(1, name), pbBytes(2, ''), pbVarint(7, 0), pbBytes(8, '')]));
    const intstr = (v: number | string) =>
      typeof v === 'number'
        ? Buffer.concat([pbVarint(1, 0), pbVarint(2, v), pbBytes(3, '')])
        : Buffer.concat([pbVarint(1, 1), pbVarint(2, 0), pbBytes(3, v)]);
    const port = Buffer.concat([
      pbBytes(1, '80-8080'),
      pbBytes(2, 'TCP'),
      pbVarint(3, 80),
      pbBytes(4, intstr(8080)),
      pbVarint(5, 0),
    ]);
    const svcSpec = Buffer.concat([
      pbBytes(1, port),
      pbBytes(2, entry('app', 's')),
      pbBytes(3, ''),
      pbBytes(4, 'ClusterIP'),
      pbVarint(12, 0),
      pbVarint(13, 0),
    ]);
    expect(
      decodeProtobufObject(
        pbEnvelope('v1', 'Service', Buffer.concat([meta('s'), pbBytes(2, svcSpec), pbBytes(3, pbBytes(1, ''))])),
      ),
    ).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: { app: 's' },
        type: 'ClusterIP',
      },
    });
    const container = Buffer.concat([
      pbBytes(1, 'c'),
      pbBytes(2, 'nginx'),
      pbBytes(3, 'sleep'),
      pbBytes(3, '1'),
      pbBytes(8, ''),
      pbVarint(16, 0),
    ]);
    const template = Buffer.concat([
      meta(''),
      pbBytes(2, Buffer.concat([pbBytes(2, container), pbBytes(3, ''), pbBytes(14, '')])),
    ]);
    const depSpec = Buffer.concat([
      pbVarint(1, 0),
      pbBytes(2, pbBytes(1, entry('app', 'd'))),
      pbBytes(3, template),
      pbBytes(4, pbBytes(1, '')),
      pbVarint(7, 0),
    ]);
    expect(
      decodeProtobufObject(pbEnvelope('apps/v1', 'Deployment', Buffer.concat([meta('d'), pbBytes(2, depSpec)]))),
    ).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: {},
          spec: {
            containers: [{ name: 'c', image: 'nginx', command: ['sleep', '1'], resources: {} }],
            securityContext: {},
          },
        },
        strategy: {},
      },
    });
    const pdb = Buffer.concat([pbBytes(1, intstr('50%')), pbBytes(3, intstr(1))]);
    expect(
      decodeProtobufObject(pbEnvelope('policy/v1', 'PodDisruptionBudget', Buffer.concat([meta('p'), pbBytes(2, pdb)])))
        .spec,
    ).toEqual({
      minAvailable: '50%',
      maxUnavailable: 1,
    });
  });

  it('names a field it does not know instead of dropping it', () => {
    const raw = Buffer.concat([pbBytes(1, pbBytes(1, 'x')), pbBytes(99, 'surprise')]);
    expect(() => decodeProtobufObject(pbEnvelope('v1', 'Secret', raw))).toThrow(
      'protobuf field 99 of Secret is not supported by this server; send JSON',
    );
  });
});

describe('protobuf decoding cost (audit 7)', () => {
  // The audit's probe A2: a ConfigMap whose ObjectMeta holds a name and N finalizers "a" (30,000 froze the
  // server for 40 s because every append copied the array so far).
  const finalizers = (n: number) => {
    const meta = Buffer.concat([pbBytes(1, `pb-${n}`), ...Array.from({ length: n }, () => pbBytes(14, 'a'))]);
    return pbEnvelope('v1', 'ConfigMap', pbBytes(1, meta));
  };
  const decode = (n: number) => {
    const work: DecodeWork = { fields: 0, elementWrites: 0 };
    const obj = decodeProtobufObject(finalizers(n), { work });
    return { obj, work };
  };

  it('does work linear in the number of repeated elements', () => {
    const small = decode(1000);
    const big = decode(30_000);
    expect((big.obj.metadata as { finalizers: string[] }).finalizers).toHaveLength(30_000);
    // One slot written per element: the quadratic decoder wrote n(n+1)/2 = 450,015,000 for 30,000.
    expect(small.work.elementWrites).toBe(1000);
    expect(big.work.elementWrites).toBe(30_000);
    // Tags read: each finalizer once, plus a constant for the envelope and the ObjectMeta.
    expect(big.work.fields - 30_000).toBe(small.work.fields - 1000);
  });

  it('stops at the per-request field budget with a 400', () => {
    const body = finalizers(5000);
    const work: DecodeWork = { fields: 0, elementWrites: 0 };
    expect(() => decodeProtobufObject(body, { maxFields: 4000, work })).toThrow(
      expect.objectContaining({ code: 400, message: expect.stringMatching(/more than 4000 fields/) }),
    );
    // It gave up as soon as the budget was spent rather than after reading everything.
    expect(work.fields).toBe(4001);
    expect(() => decodeProtobufObject(body, { maxFields: 6000 })).not.toThrow();
  });

  it('answers 400, not a RangeError, for a timestamp outside what RFC 3339 can print', () => {
    const meta = Buffer.concat([pbBytes(1, 'ns'), pbBytes(8, pbVarint(1, 2 ** 52))]);
    expect(() => decodeProtobufObject(pbEnvelope('v1', 'Namespace', pbBytes(1, meta)))).toThrow(
      expect.objectContaining({ code: 400 }),
    );
    const ok = Buffer.concat([pbBytes(1, 'ns'), pbBytes(8, pbVarint(1, 1_700_000_000))]);
    expect(decodeProtobufObject(pbEnvelope('v1', 'Namespace', pbBytes(1, ok))).metadata).toEqual({
      name: 'ns',
      creationTimestamp: '2023-11-14T22:13:20Z',
    });
  });
});
