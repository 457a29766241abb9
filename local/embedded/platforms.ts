// The words `capi-fn up` accepts, apart from the provider list so the CLI starts without loading providers (a
// test keeps PLATFORMS equal to the providers' `cliPlatform`).
export const PLATFORMS = ['local', 'aws', 'gcp', 'azure', 'openstack', 'vsphere', 'baremetal'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const FEATURE_SETS = ['TechPreviewNoUpgrade', 'Default'] as const;
export type SeedFeatureSet = (typeof FEATURE_SETS)[number];
