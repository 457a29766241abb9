import { describe, expect, it } from 'vitest';
import { planSeed } from './seed-plan.ts';

describe('planSeed', () => {
  it('seeds local and TechPreviewNoUpgrade on a fresh data folder', () => {
    expect(planSeed({}, {})).toMatchObject({
      platform: 'local',
      featureSet: 'TechPreviewNoUpgrade',
      infrastructureName: 'capi-fn-local-7x2kq',
      write: true,
    });
  });

  it('keeps what the folder has when nothing is asked', () => {
    const p = planSeed({ platformType: 'AWS', infrastructureName: 'mine-x1', featureSet: '' }, {});
    expect(p).toMatchObject({ platform: 'aws', featureSet: 'Default', infrastructureName: 'mine-x1', write: false });
  });

  it('re-seeds when the platform or feature set asked for differs, keeping the cluster ID', () => {
    const state = { platformType: 'Local', infrastructureName: 'capi-fn-local-7x2kq', featureSet: '' as const };
    expect(planSeed(state, { platform: 'aws' })).toMatchObject({
      platform: 'aws',
      infrastructureName: 'capi-fn-local-7x2kq',
      write: true,
      reason: 'platform changed from Local to AWS',
    });
    expect(planSeed(state, { featureSet: 'TechPreviewNoUpgrade' })).toMatchObject({
      write: true,
      reason: 'feature set changed from Default to TechPreviewNoUpgrade',
    });
    expect(planSeed(state, { platform: 'local', featureSet: 'Default' }).write).toBe(false);
  });

  it('keeps a CustomNoUpgrade feature set a user wrote', () => {
    const p = planSeed({ platformType: 'Local', featureSet: 'CustomNoUpgrade' }, {});
    expect(p).toMatchObject({ featureSet: 'CustomNoUpgrade', write: false });
  });

  it('treats an unknown platform type as a change to the asked or default platform', () => {
    expect(planSeed({ platformType: 'Libvirt', featureSet: 'TechPreviewNoUpgrade' }, {})).toMatchObject({
      platform: 'local',
      write: true,
    });
  });

  it('refuses leaving TechPreviewNoUpgrade or CustomNoUpgrade for the default set, writing nothing', () => {
    for (const featureSet of ['TechPreviewNoUpgrade', 'CustomNoUpgrade'] as const) {
      const p = planSeed({ platformType: 'Local', featureSet }, { platform: 'gcp', featureSet: 'Default' });
      expect(p.write).toBe(false);
      expect(p.refused).toContain(`is ${featureSet}, which cannot be changed back`);
    }
    expect(planSeed({ platformType: 'Local', featureSet: '' }, { featureSet: 'TechPreviewNoUpgrade' }).refused).toBe(
      undefined,
    );
  });
});
