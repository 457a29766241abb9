import { describe, expect, it } from 'vitest';
import type { AWSCluster } from '../../../shared/api/providers/aws.ts';
import { clusterStatus as kitClusterStatus } from '../kit/cluster.ts';
import { reasonFromCode } from '../kit/errors.ts';
import { assessment, type NetworkValidation, REGION_READY, SUBNETS_READY, subnetIdsOf, VPC_READY } from './cluster.ts';

/** The AWSCluster status the kit computes from the AWS checks. */
const clusterStatus = (current: AWSCluster['status'], v: NetworkValidation, now: Date) =>
  kitClusterStatus(current, [REGION_READY, VPC_READY, SUBNETS_READY], assessment(v), now);

const NOW = new Date('2026-11-23T18:02:11Z');
const LATER = new Date('2026-11-23T18:10:00Z');

describe('clusterStatus', () => {
  it('is ready with failure domains when the region and network check out', () => {
    const v: NetworkValidation = {
      checks: { [REGION_READY]: { ok: true }, [VPC_READY]: { ok: true } },
      zones: ['us-east-1a', 'us-east-1b'],
    };
    expect(clusterStatus(undefined, v, NOW)).toEqual({
      ready: true,
      failureDomains: { 'us-east-1a': { controlPlane: true }, 'us-east-1b': { controlPlane: true } },
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-23T18:02:11Z' },
        { type: 'RegionReady', status: 'True', lastTransitionTime: '2026-11-23T18:02:11Z' },
        { type: 'VpcReady', status: 'True', lastTransitionTime: '2026-11-23T18:02:11Z' },
      ],
    });
  });

  it('is not ready, with the AWS code as the reason, when a referenced resource is missing', () => {
    const v: NetworkValidation = {
      checks: {
        [REGION_READY]: { ok: true },
        [VPC_READY]: { ok: false, reason: 'InvalidVpcID.NotFound', message: 'VPC vpc-1 does not exist in us-east-1' },
      },
      zones: ['us-east-1a'],
    };
    const s = clusterStatus({ ready: true }, v, NOW);
    expect(s.ready).toBe(false);
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidVpcID.NotFound',
      severity: 'Error',
      message: 'VPC vpc-1 does not exist in us-east-1',
    });
  });

  it('needs a positive region check; no failure domains without one', () => {
    const s = clusterStatus(
      undefined,
      { checks: { [REGION_READY]: { ok: false, reason: 'ENOTFOUND', message: 'x' } } },
      NOW,
    );
    expect(s.ready).toBe(false);
    expect(s.failureDomains).toBeUndefined();
    expect(clusterStatus(undefined, { checks: {} }, NOW).ready).toBe(false);
  });

  it('drops conditions of checks that no longer apply and keeps transition times of unchanged ones', () => {
    const first = clusterStatus(
      undefined,
      { checks: { [REGION_READY]: { ok: true }, [SUBNETS_READY]: { ok: true } }, zones: ['a'] },
      NOW,
    );
    const second = clusterStatus(first, { checks: { [REGION_READY]: { ok: true } }, zones: ['a'] }, LATER);
    expect(second.conditions?.map((c) => c.type)).toEqual(['Ready', 'RegionReady']);
    expect(second.conditions?.every((c) => c.lastTransitionTime === '2026-11-23T18:02:11Z')).toBe(true);
    expect(clusterStatus(second, { checks: { [REGION_READY]: { ok: true } }, zones: ['a'] }, LATER)).toEqual(second);
  });
});

describe('helpers', () => {
  it.each([
    ['InvalidVpcID.NotFound', 'InvalidVpcID.NotFound'],
    ['HTTP 500', 'HTTP500'],
    ['ENOTFOUND', 'ENOTFOUND'],
    ['', 'Unknown'],
  ])('reason from %s', (code, reason) => {
    expect(reasonFromCode(code)).toBe(reason);
  });

  it('takes subnet IDs from resourceID, or from id when it is one', () => {
    const ac = {
      metadata: { name: 'c' },
      spec: {
        network: { subnets: [{ id: 'private-a', resourceID: 'subnet-1' }, { id: 'subnet-2' }, { id: 'named-only' }] },
      },
    } as AWSCluster;
    expect(subnetIdsOf(ac)).toEqual(['subnet-1', 'subnet-2']);
  });
});
