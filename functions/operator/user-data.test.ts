import { describe, expect, it } from 'vitest';
import { planUserData, type SecretObject, userDataInSync } from './user-data.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const source = (data: Record<string, string> | undefined, extra: Partial<SecretObject> = {}): SecretObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'worker-user-data', namespace: 'openshift-machine-api' },
  type: 'Opaque',
  ...(data ? { data } : {}),
  ...extra,
});

describe('planUserData', () => {
  it('copies userData to value and adds format: ignition', () => {
    const p = planUserData(source({ userData: b64('{"ignition":{}}'), disableTemplating: b64('true') }));
    expect(p).toEqual({
      ok: true,
      desired: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'worker-user-data', namespace: 'openshift-cluster-api' },
        type: 'Opaque',
        data: { value: b64('{"ignition":{}}'), format: b64('ignition') },
      },
    });
  });

  it('keeps the source type and immutability', () => {
    const p = planUserData(source({ userData: b64('x') }, { type: 'example.com/ign', immutable: true }));
    expect(p.ok && p.desired).toMatchObject({ type: 'example.com/ign', immutable: true });
  });

  it('a missing source or key is an error naming it', () => {
    expect(planUserData(undefined)).toEqual({
      ok: false,
      error: 'source secret openshift-machine-api/worker-user-data not found',
    });
    expect(planUserData(source({ other: b64('x') }))).toEqual({
      ok: false,
      error: 'source secret openshift-machine-api/worker-user-data has no "userData" key',
    });
    expect(planUserData(source(undefined)).ok).toBe(false);
  });
});

describe('userDataInSync', () => {
  const p = planUserData(source({ userData: b64('stub') }));
  if (!p.ok) throw new Error('unreachable');
  const desired = p.desired;
  const stored = (extra: Partial<SecretObject> = {}): SecretObject => ({
    ...structuredClone(desired),
    metadata: { ...desired.metadata, resourceVersion: '7', uid: 'u', labels: { a: 'b' } },
    ...extra,
  });
  it.each([
    ['identical (server metadata ignored)', stored(), true],
    ['missing', undefined, false],
    ['other value', stored({ data: { value: b64('old'), format: b64('ignition') } }), false],
    ['missing format', stored({ data: { value: b64('stub') } }), false],
    ['extra key', stored({ data: { ...desired.data, extra: b64('x') } }), false],
    ['other type', stored({ type: 'kubernetes.io/opaque' }), false],
    ['immutable differs', stored({ immutable: true }), false],
  ])('%s → %s', (_n, current, want) => {
    expect(userDataInSync(current, desired)).toBe(want);
  });
});
