// The Azure admission rules, through the webhook's review as the API server calls it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllKinds } from '../../../shared/api/kind-schemas.ts';
import { PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import { deniedMessage, infraRequest } from '../../../test/support/admission.ts';
import { type ReviewContext, review } from '../../webhooks/review.ts';
import { decodeSshKey } from './request.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const AZURE: ReviewContext = {
  openshift: { infrastructureName: 'ocp-az-9m4tx', platformType: 'Azure', provider: PLATFORM_PROVIDERS.Azure! },
};
const SUB = '00000000-0000-4000-8000-0000005ab5c0';
const KEY = Buffer.from('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host').toString('base64');
// The OpenShift docs' AzureMachineTemplate sample.
const spec = {
  disableExtensionOperations: true,
  identity: 'UserAssigned',
  image: {
    id: `/subscriptions/${SUB}/resourceGroups/ocp-az-9m4tx-rg/providers/Microsoft.Compute/galleries/gallery_ocp_az_9m4tx/images/ocp-az-9m4tx-gen2/versions/latest`,
  },
  networkInterfaces: [{ acceleratedNetworking: true, privateIPConfigs: 1, subnetName: 'ocp-az-9m4tx-worker-subnet' }],
  osDisk: { diskSizeGB: 128, managedDisk: { storageAccountType: 'Premium_LRS' }, osType: 'Linux' },
  sshPublicKey: KEY,
  userAssignedIdentities: [
    {
      providerID: `azure:///subscriptions/${SUB}/resourcegroups/ocp-az-9m4tx-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ocp-az-9m4tx-identity`,
    },
  ],
  vmSize: 'Standard_D4s_v3',
};

const req = (kind: string, o: Record<string, unknown>, operation: 'CREATE' | 'UPDATE' = 'CREATE', old?: unknown) =>
  infraRequest('v1beta1', kind, o, operation, old);
const template = (s: Record<string, unknown>) => req('AzureMachineTemplate', { spec: { template: { spec: s } } });
const denied = deniedMessage;

describe('Azure admission rules', () => {
  it('admits the docs’ sample', () => {
    expect(review(template(spec), AZURE, 'validate').allowed).toBe(true);
    expect(review(req('AzureMachine', { spec }), AZURE, 'validate').allowed).toBe(true);
  });

  it('refuses what capi-fn or Azure would refuse, naming each field and the fix', () => {
    const r = denied(
      review(
        template({
          ...spec,
          allocatePublicIP: true,
          vmExtensions: [{ name: 'x', publisher: 'p', version: '1' }],
          systemAssignedIdentityRole: { scope: '/subscriptions/x' },
          sshPublicKey: Buffer.from('not a key').toString('base64'),
          subnetName: 'legacy',
          osDisk: { ...spec.osDisk, cachingType: 'ReadWrite', diffDiskSettings: { option: 'Local' } },
          dataDisks: [
            { nameSuffix: 'etcd', diskSizeGB: 256, lun: 0, managedDisk: { storageAccountType: 'UltraSSD_LRS' } },
            { nameSuffix: 'etcd', diskSizeGB: 256, lun: 0 },
          ],
          securityProfile: { uefiSettings: { vTpmEnabled: true } },
          spotVMOptions: { maxPrice: 'cheap' },
        }),
        AZURE,
        'validate',
      ),
    );
    for (const want of [
      'spec.template.spec.allocatePublicIP: Unsupported value: capi-fn creates no public IP addresses',
      'spec.template.spec.vmExtensions: Unsupported value: capi-fn installs no VM extensions',
      'spec.template.spec.systemAssignedIdentityRole: Unsupported value: capi-fn creates no role assignments',
      'spec.template.spec.sshPublicKey: Invalid value: is not the base64 encoding of an OpenSSH public key',
      'spec.template.spec.subnetName: Invalid value: cannot be set together with networkInterfaces',
      'spec.template.spec.osDisk.cachingType: Invalid value: an ephemeral OS disk (diffDiskSettings) only allows ReadOnly caching',
      'spec.template.spec.additionalCapabilities.ultraSSDEnabled: Required value: an UltraSSD_LRS data disk needs ultraSSDEnabled',
      'spec.template.spec.dataDisks[1].nameSuffix: Invalid value: "etcd" is used twice',
      'spec.template.spec.dataDisks[1].lun: Invalid value: lun 0 is used twice',
      'spec.template.spec.securityProfile.uefiSettings: Invalid value: needs securityType TrustedLaunch or ConfidentialVM',
      'spec.template.spec.spotVMOptions.maxPrice: Invalid value: "cheap" is not a price',
    ])
      expect(r).toContain(want);
  });

  it('identities: UserAssigned needs identities, identities need UserAssigned, and each must be one', () => {
    expect(denied(review(template({ ...spec, userAssignedIdentities: [] }), AZURE, 'validate'))).toContain(
      'spec.template.spec.userAssignedIdentities: Required value: identity: UserAssigned needs at least one identity',
    );
    expect(denied(review(template({ ...spec, identity: 'None' }), AZURE, 'validate'))).toContain(
      'spec.template.spec.identity: Invalid value: userAssignedIdentities are set but identity is not UserAssigned',
    );
    expect(
      denied(
        review(
          template({ ...spec, userAssignedIdentities: [{ providerID: 'azure:///subscriptions/x/disks/y' }] }),
          AZURE,
          'validate',
        ),
      ),
    ).toContain('spec.template.spec.userAssignedIdentities[0].providerID: Invalid value');
  });

  it('an AzureMachine without sshPublicKey gets a generated RSA key (CAPZ’s default); a template keeps what it has', () => {
    const { sshPublicKey: _k, ...noKey } = spec;
    const r = review(req('AzureMachine', { spec: noKey }), AZURE, 'mutate');
    expect(r.allowed).toBe(true);
    const patch = JSON.parse(Buffer.from(r.patch ?? '', 'base64').toString()) as Array<{
      path: string;
      value: unknown;
    }>;
    const key = patch.find((p) => p.path === '/spec/sshPublicKey')?.value as string;
    expect(decodeSshKey(key)).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E/);
    expect(review(req('AzureMachine', { spec }), AZURE, 'mutate').patch).toBeUndefined();
  });

  it('a template cannot name one VM; a recorded providerID does not change', () => {
    const vm = `azure:///subscriptions/${SUB}/resourceGroups/ocp-az-9m4tx-rg/providers/Microsoft.Compute/virtualMachines`;
    expect(denied(review(template({ ...spec, providerID: `${vm}/prod-db` }), AZURE, 'validate'))).toContain(
      'spec.template.spec.providerID: Forbidden',
    );
    const recorded = { spec: { ...spec, providerID: `${vm}/x` } };
    expect(review(req('AzureMachine', recorded, 'UPDATE', { spec }), AZURE, 'validate').allowed).toBe(true);
    const swapped = { spec: { ...spec, providerID: `${vm}/prod-db` } };
    expect(denied(review(req('AzureMachine', swapped, 'UPDATE', recorded), AZURE, 'validate'))).toContain(
      `spec.providerID: Forbidden: the VM is recorded as ${vm}/x and cannot change`,
    );
  });
});
