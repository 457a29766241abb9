import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, pbBytes, pbEnvelope, pbVarint } from './protobuf.ts';

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
});
