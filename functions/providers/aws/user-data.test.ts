import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildUserData, USER_DATA_LIMIT_BYTES } from './user-data.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
/** The bootstrap data as the kit reads it from the Secret. */
const boot = (secretName: string, data: { value: string; format?: string }) => ({
  secretName,
  value: Buffer.from(data.value, 'base64'),
  format: data.format ? Buffer.from(data.format, 'base64').toString() : '',
});
const IGN = '{"ignition":{"version":"3.4.0"}}';

describe('buildUserData', () => {
  it('passes Ignition through as raw bytes for UnencryptedUserData', () => {
    const r = buildUserData(boot('worker-user-data', { value: b64(IGN), format: b64('ignition') }), {
      ignition: { storageType: 'UnencryptedUserData', version: '3.4' },
    });
    expect(r).toEqual({ ok: true, userData: b64(IGN), format: 'ignition', bytes: IGN.length });
  });

  it('treats spec.ignition as Ignition even when the secret has no format', () => {
    const r = buildUserData(boot('s', { value: b64(IGN) }), { ignition: { storageType: 'UnencryptedUserData' } });
    expect(r.ok && r.format).toBe('ignition');
  });

  it('refuses the S3-backed default storage type with the fix in the message', () => {
    const r = buildUserData(boot('s', { value: b64(IGN), format: b64('ignition') }), {});
    expect(r).toMatchObject({ ok: false, reason: 'IgnitionStorageUnsupported' });
    expect(!r.ok && r.message).toMatch(/storageType: UnencryptedUserData/);
  });

  it('gzips cloud-config unless uncompressedUserData is set', () => {
    const cc = '#cloud-config\nruncmd: [echo hi]\n';
    const gz = buildUserData(boot('s', { value: b64(cc), format: b64('cloud-config') }), {});
    expect(gz.ok).toBe(true);
    expect(gunzipSync(Buffer.from(gz.ok ? gz.userData : '', 'base64')).toString()).toBe(cc);
    const plain = buildUserData(boot('s', { value: b64(cc) }), { uncompressedUserData: true });
    expect(plain).toMatchObject({ ok: true, userData: b64(cc), format: 'cloud-config' });
  });

  it('enforces the 16 KB limit on the raw bytes, not on the base64 text', () => {
    const spec = { ignition: { storageType: 'UnencryptedUserData' as const } };
    const atLimit = 'x'.repeat(USER_DATA_LIMIT_BYTES);
    expect(buildUserData(boot('s', { value: b64(atLimit) }), spec).ok).toBe(true);
    const over = buildUserData(boot('s', { value: b64(`${atLimit}x`) }), spec);
    expect(over).toMatchObject({ ok: false, reason: 'UserDataTooLarge' });
    expect(!over.ok && over.message).toMatch(/16385 bytes; EC2 allows at most 16384/);
  });

  it('measures cloud-config after compression', () => {
    const big = 'a'.repeat(USER_DATA_LIMIT_BYTES * 4);
    expect(buildUserData(boot('s', { value: b64(big) }), {}).ok).toBe(true);
    expect(buildUserData(boot('s', { value: b64(big) }), { uncompressedUserData: true })).toMatchObject({
      ok: false,
      reason: 'UserDataTooLarge',
    });
  });
});
