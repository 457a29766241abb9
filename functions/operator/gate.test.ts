import { describe, expect, it } from 'vitest';
import type { FeatureGate } from '../../shared/api/openshift/featuregate.ts';
import { fixture } from '../../test/fixtures/index.ts';
import { decideGate } from './gate.ts';

const fg = (spec: FeatureGate['spec']): Pick<FeatureGate, 'spec'> => ({ spec });

describe('decideGate', () => {
  it.each([
    ['TechPreviewNoUpgrade', fg({ featureSet: 'TechPreviewNoUpgrade' }), true, true],
    [
      'CustomNoUpgrade with the gate',
      fg({ featureSet: 'CustomNoUpgrade', customNoUpgrade: { enabled: ['ClusterAPIMachineManagement'] } }),
      true,
      true,
    ],
    [
      'CustomNoUpgrade without the gate',
      fg({ featureSet: 'CustomNoUpgrade', customNoUpgrade: { enabled: ['MachineAPIMigration'] } }),
      false,
      true,
    ],
    [
      'CustomNoUpgrade with the gate also disabled',
      fg({
        featureSet: 'CustomNoUpgrade',
        customNoUpgrade: { enabled: ['ClusterAPIMachineManagement'], disabled: ['ClusterAPIMachineManagement'] },
      }),
      false,
      true,
    ],
    [
      'CustomNoUpgrade with customNoUpgrade null',
      fg({ featureSet: 'CustomNoUpgrade', customNoUpgrade: null }),
      false,
      true,
    ],
    ['the default set ""', fg({ featureSet: '' }), false, false],
    ['no featureSet', fg({}), false, false],
    ['DevPreviewNoUpgrade (not in the 4.19–4.21 manifests)', fg({ featureSet: 'DevPreviewNoUpgrade' }), false, true],
    ['OKD', fg({ featureSet: 'OKD' }), false, false],
  ])('%s → enabled %s, noUpgrade %s', (_name, gate, enabled, noUpgrade) => {
    const d = decideGate(gate);
    expect(d.enabled).toBe(enabled);
    expect(d.noUpgrade).toBe(noUpgrade);
  });

  it('a missing FeatureGate is off and says how to turn it on', () => {
    const d = decideGate(undefined);
    expect(d).toMatchObject({ enabled: false, featureSet: '', noUpgrade: false });
    expect(d.message).toContain('FeatureGate/cluster does not exist');
    expect(d.message).toContain('TechPreviewNoUpgrade');
  });

  it('messages name the feature set and the fix', () => {
    expect(decideGate(fg({ featureSet: '' })).message).toMatch(
      /spec\.featureSet is "" \(the default feature set\).*TechPreviewNoUpgrade/,
    );
    expect(decideGate(fg({ featureSet: 'CustomNoUpgrade' })).message).toContain(
      'add ClusterAPIMachineManagement to FeatureGate/cluster spec.customNoUpgrade.enabled',
    );
  });

  it('reads the docs-shaped FeatureGate fixtures', () => {
    expect(decideGate(fixture('openshift/01-featuregate.yaml', 0) as FeatureGate).enabled).toBe(true);
    expect(decideGate(fixture('openshift/01-featuregate.yaml', 1) as FeatureGate).enabled).toBe(true);
    expect(decideGate(fixture('openshift/01-featuregate.yaml', 2) as FeatureGate).enabled).toBe(false);
  });
});
