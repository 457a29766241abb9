import { describe, expect, it } from 'vitest';
import { describeChanges, renderView, type ViewModel } from './live-view.ts';

const op = { summary: 'Available=True Progressing=False Degraded=False Upgradeable=False', message: 'ok at 4.20.0' };
const model = (o: Partial<ViewModel> = {}): ViewModel => ({
  operator: op,
  installed: true,
  machineSets: [{ ns: 'ns', name: 'ms', desired: 2, current: 1, ready: 0, available: 0 }],
  machines: [{ ns: 'ns', name: 'ms-a', phase: 'Provisioning', node: '', providerID: '', created: '', deleting: false }],
  ...o,
});

describe('live view', () => {
  it('leads with the ClusterOperator and says when the Cluster API kinds are not installed', () => {
    const lines = renderView(model({ installed: false, machineSets: [], machines: [] }), Date.now());
    expect(lines).toEqual([
      'clusteroperator/cluster-api: Available=True Progressing=False Degraded=False Upgradeable=False — ok at 4.20.0',
      'Cluster API kinds are not installed (yet): see the operator above.',
    ]);
    expect(renderView(model({ operator: undefined, machineSets: [], machines: [] }), 0)).toEqual([
      'clusteroperator/cluster-api: not reported yet',
      'No MachineSets or Machines yet.',
    ]);
  });

  it('renders MachineSets and Machines as tables', () => {
    const lines = renderView(model(), Date.now());
    expect(lines[1]).toMatch(/^MACHINESET\s+DESIRED\s+CURRENT\s+READY\s+AVAILABLE$/);
    expect(lines[2]).toMatch(/^ns\/ms\s+2\s+1\s+0\s+0$/);
    expect(lines.at(-1)).toMatch(/^ns\/ms-a\s+Provisioning\s+-/);
  });

  it('describes only what changed, operator included', () => {
    const before = model();
    const after = model({
      operator: { ...op, summary: op.summary.replace('Degraded=False', 'Degraded=True') },
      machines: [{ ...before.machines[0]!, phase: 'Running', node: 'n1' }],
    });
    expect(describeChanges(before, before)).toEqual([]);
    expect(describeChanges(before, after)).toEqual([
      'clusteroperator/cluster-api: Available=True Progressing=False Degraded=True Upgradeable=False — ok at 4.20.0',
      'machine ns/ms-a: Provisioning → Running (node n1)',
    ]);
  });
});
