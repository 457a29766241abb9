import { describe, expect, it } from 'vitest';
import { formatProviderID, parseProviderID, regionOfZone } from './provider-id.ts';

describe('providerID', () => {
  it('formats the CAPA form', () => {
    expect(formatProviderID('us-east-1a', 'i-0a1b2c3d4e5f60718')).toBe('aws:///us-east-1a/i-0a1b2c3d4e5f60718');
  });

  it.each([
    ['aws:///us-east-1a/i-0a1b2c3d4e5f60718', { availabilityZone: 'us-east-1a', instanceId: 'i-0a1b2c3d4e5f60718' }],
    ['aws:////i-0123', { availabilityZone: '', instanceId: 'i-0123' }],
    ['aws://us-west-2b/i-0123', { availabilityZone: 'us-west-2b', instanceId: 'i-0123' }],
    ['aws:///us-east-1a/', undefined],
    ['gce://project/zone/name', undefined],
    ['local:///local-a/i-1', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('parses %s', (input, want) => {
    expect(parseProviderID(input)).toEqual(want);
  });

  it('round-trips', () => {
    const id = formatProviderID('eu-west-3c', 'i-3e138ba7f278981b2');
    expect(parseProviderID(id)).toEqual({ availabilityZone: 'eu-west-3c', instanceId: 'i-3e138ba7f278981b2' });
  });

  it.each([
    ['us-east-1a', 'us-east-1'],
    ['eu-central-2c', 'eu-central-2'],
    ['us-gov-west-1b', 'us-gov-west-1'],
    ['us-east-1-bos-1a', undefined],
    ['nonsense', undefined],
  ])('region of zone %s', (zone, region) => {
    expect(regionOfZone(zone)).toBe(region);
  });
});
