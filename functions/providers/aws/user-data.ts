// User data from the bootstrap secret (reference §2.6). OpenShift's worker secret holds an Ignition
// stub (`format: ignition`) and the documented templates use `ignition.storageType:
// UnencryptedUserData`: the raw bytes go into RunInstances `UserData`, base64-encoded by us (the SDK
// does not), never compressed. EC2 caps user data at 16 KB before base64.
import { gzipSync } from 'node:zlib';
import type { AWSMachineSpec } from '../../../shared/api/providers/aws.ts';
import type { BootstrapData } from '../kit/definition.ts';

export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export type UserDataResult =
  | { ok: true; userData: string; format: 'ignition' | 'cloud-config'; bytes: number }
  | { ok: false; reason: 'IgnitionStorageUnsupported' | 'UserDataTooLarge'; message: string };

export function buildUserData(
  boot: BootstrapData,
  spec: Pick<AWSMachineSpec, 'ignition' | 'uncompressedUserData'>,
): UserDataResult {
  const { secretName, value: raw } = boot;
  const ignition = boot.format === 'ignition' || spec.ignition !== undefined;

  let bytes: Buffer;
  if (ignition) {
    const storage = spec.ignition?.storageType ?? 'ClusterObjectStore';
    if (storage !== 'UnencryptedUserData') {
      // Upstream uploads to AWSCluster.spec.s3Bucket; OpenShift's externally managed AWSCluster has
      // none, and capi-fn creates no buckets, so the documented storage type is the only one.
      return {
        ok: false,
        reason: 'IgnitionStorageUnsupported',
        message: `Ignition storageType ${storage} needs an S3 bucket, which capi-fn does not manage; set spec.ignition.storageType: UnencryptedUserData`,
      };
    }
    bytes = raw;
  } else {
    bytes = spec.uncompressedUserData ? raw : gzipSync(raw);
  }
  if (bytes.length > USER_DATA_LIMIT_BYTES) {
    return {
      ok: false,
      reason: 'UserDataTooLarge',
      message: `user data from secret ${secretName} is ${bytes.length} bytes${ignition ? '' : ' after gzip'}; EC2 allows at most ${USER_DATA_LIMIT_BYTES} bytes (16 KB) before base64`,
    };
  }
  return {
    ok: true,
    userData: bytes.toString('base64'),
    format: ignition ? 'ignition' : 'cloud-config',
    bytes: bytes.length,
  };
}
