// What each function's bundle carries (esbuild's metafile, with the options `npm run build` uses): a
// function carries its own platform's packages and no other cloud's SDK; only the AWS provider's
// bundles carry the EC2 client, and the webhooks (on the API server's critical path) no bus or queue SDK.
import { describe, expect, it } from 'vitest';
import { bundledPackages, type Entry, entries } from '../../scripts/build.ts';

const FOREIGN: Record<Entry['platform'], RegExp> = {
  aws: /^@(azure|azure-rest|google-cloud)\//,
  azure: /^@(google-cloud|aws-sdk)\//,
  gcp: /^@(azure|azure-rest|aws-sdk)\//,
};
const isAwsProvider = (e: Entry) => e.entry.startsWith('functions/providers/aws/');

describe('function bundles', () => {
  const all = entries();

  it('cover every deployed function on each platform', () => {
    const names = (p: Entry['platform']) => all.filter((e) => e.platform === p).map((e) => e.name);
    expect(names('aws')).toEqual(
      expect.arrayContaining(['aws-cluster', 'aws-machine', 'cluster-capi-operator', 'webhooks', 'drift', 'bridge']),
    );
    for (const p of ['azure', 'gcp'] as const)
      expect(names(p)).toEqual(expect.arrayContaining(['providers-aws', 'cluster-capi-operator', 'webhooks']));
  });

  it.each(all.map((e) => [`${e.platform}/${e.name}`, e] as const))('%s', async (_name, e) => {
    const { bundled, external } = await bundledPackages(e);
    const used = [...bundled, ...external];
    // No other cloud's SDK (the AWS provider's EC2 client is its cloud API, not a platform SDK).
    const foreign = used.filter((p) => FOREIGN[e.platform].test(p) && !(isAwsProvider(e) && p.startsWith('@aws-sdk/')));
    expect(foreign).toEqual([]);
    if (isAwsProvider(e)) expect(used).toContain('@aws-sdk/client-ec2');
    // The drift check and the bridge read every handler's watches, the provider's included.
    else if (!['drift', 'bridge'].includes(e.name)) expect(used).not.toContain('@aws-sdk/client-ec2');
    if (e.name === 'webhooks') {
      // On Lambda the function reads its kubeconfig from Secrets Manager (the SDK ships with the runtime).
      expect(
        used.filter(
          (p) =>
            /^@aws-sdk\/|^@azure\/storage-queue$|^@google-cloud\/pubsub$/.test(p) &&
            !(e.platform === 'aws' && p === '@aws-sdk/client-secrets-manager'),
        ),
      ).toEqual([]);
    }
  });
});
