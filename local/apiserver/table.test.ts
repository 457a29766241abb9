import { describe, expect, it } from 'vitest';
import { evalJsonPath, parseJsonPath } from './jsonpath.ts';
import { crdColumns, humanDuration, since } from './table.ts';

describe('humanDuration (apimachinery HumanDuration)', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [-1500, '0s'],
    [-3 * s, '<invalid>'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [125 * s, '2m5s'],
    [10 * 60 * s, '10m'],
    [179 * 60 * s, '179m'],
    [3 * 3600 * s, '3h'],
    [3 * 3600 * s + 60 * s, '3h1m'],
    [8 * 3600 * s, '8h'],
    [47 * 3600 * s, '47h'],
    [48 * 3600 * s, '2d'],
    [50 * 3600 * s, '2d2h'],
    [8 * 24 * 3600 * s, '8d'],
    [2 * 365 * 24 * 3600 * s, '2y'],
    [(3 * 365 + 10) * 24 * 3600 * s, '3y10d'],
    [9 * 365 * 24 * 3600 * s, '9y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms → ${want}`, () => expect(humanDuration(ms)).toBe(want));
  it('unknown and unparsable timestamps', () => {
    expect(since(undefined, 0)).toBe('<unknown>');
    expect(since('garbage', 0)).toBe('<invalid>');
  });
});

describe('printer columns', () => {
  it('JSONPath with filters, first value only, typed cells', () => {
    const obj = {
      metadata: { name: 'w', creationTimestamp: new Date(Date.now() - 5000).toISOString() },
      spec: { n: 3, flag: true, list: [{ a: 1 }, { a: 2 }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Other', status: 'False' },
        ],
      },
    };
    expect(evalJsonPath(parseJsonPath('.status.conditions[?(@.type=="Ready")].status'), obj)).toEqual(['True']);
    expect(evalJsonPath(parseJsonPath('{.spec.list[*].a}'), obj)).toEqual([1, 2]);
    const cols = crdColumns([
      { name: 'N', type: 'integer', jsonPath: '.spec.n' },
      { name: 'NS', type: 'string', jsonPath: '.spec.n' },
      { name: 'Bad', type: 'integer', jsonPath: '.spec.flag' },
      { name: 'Missing', type: 'string', jsonPath: '.spec.none' },
      { name: 'List', type: 'string', jsonPath: '.spec.list[*].a' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    expect(cols.map((c) => c.cell(obj, Date.now()))).toEqual(['w', 3, '3', null, null, '1', 'True', '5s']);
    expect(crdColumns(undefined).map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Age', 'date'],
    ]);
  });
});
