import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch, type ListStrategy, SmpError } from './strategic-merge.ts';

const table: Record<string, ListStrategy> = {
  'spec.containers': { merge: true, mergeKey: 'name' },
  'spec.containers.env': { merge: true, mergeKey: 'name' },
  'metadata.finalizers': { merge: true },
};
const lookup = (p: string[]) => table[p.join('.')];

describe('strategic merge patch', () => {
  const pod = {
    metadata: { finalizers: ['a'] },
    spec: {
      containers: [
        { name: 'x', image: '1', env: [{ name: 'E', value: '1' }] },
        { name: 'y', image: '1' },
      ],
      tolerations: [{ key: 't' }],
    },
  };

  it('merges keyed lists recursively, primitive merge lists as sets, others replace', () => {
    const out = applyStrategicMergePatch(
      pod,
      {
        metadata: { finalizers: ['b', 'a'] },
        spec: {
          containers: [
            { name: 'y', image: '2' },
            { name: 'x', env: [{ name: 'F', value: '2' }] },
          ],
          tolerations: [{ key: 'u' }],
        },
      },
      lookup,
    );
    expect(out).toEqual({
      metadata: { finalizers: ['a', 'b'] },
      spec: {
        containers: [
          {
            name: 'x',
            image: '1',
            env: [
              { name: 'E', value: '1' },
              { name: 'F', value: '2' },
            ],
          },
          { name: 'y', image: '2' },
        ],
        tolerations: [{ key: 'u' }],
      },
    });
  });

  it('consumes $patch, $retainKeys, $setElementOrder and $deleteFromPrimitiveList', () => {
    const out = applyStrategicMergePatch(
      pod,
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: {
          containers: [
            { name: 'x', $patch: 'delete' },
            { name: 'z', image: '3' },
          ],
          '$setElementOrder/containers': [{ name: 'z' }, { name: 'y' }],
        },
      },
      lookup,
    );
    expect(out).toEqual({
      metadata: { finalizers: [] },
      spec: {
        containers: [
          { name: 'z', image: '3' },
          { name: 'y', image: '1' },
        ],
        tolerations: [{ key: 't' }],
      },
    });
    const replaced = applyStrategicMergePatch(pod, { spec: { $patch: 'replace', containers: [] } }, lookup);
    expect(replaced).toEqual({ metadata: { finalizers: ['a'] }, spec: { containers: [] } });
    const retained = applyStrategicMergePatch({ v: { a: 1, b: 2 } }, { v: { $retainKeys: ['b', 'c'], c: 3 } }, lookup);
    expect(retained).toEqual({ v: { b: 2, c: 3 } });
    expect(JSON.stringify(out)).not.toContain('$');
  });

  it('a keyed item without its merge key is an error', () => {
    expect(() => applyStrategicMergePatch(pod, { spec: { containers: [{ image: 'x' }] } }, lookup)).toThrow(SmpError);
  });
});
