// What the Azure tests share: the names of the docs' cluster, the docs' AzureMachineTemplate spec, the installed
// cluster's network and image seeded in the ARM emulator, and a client of the official SDKs pointed at it.
import tls from 'node:tls';
import { AzureSdkClients } from '../../../functions/providers/azure/client.ts';
import { newSshPublicKeyLine } from '../../../functions/providers/azure/ssh.ts';
import type { KitTimings } from '../../../functions/providers/kit/definition.ts';
import { seedInstalledCluster as seedArm } from '../../emulators/arm/seed.ts';
import type { ArmEmulator } from '../../emulators/arm/server.ts';

export const NS = 'openshift-cluster-api';
export const CLUSTER = 'ocp-az-7xk2p';
export const RG = `${CLUSTER}-rg`;
export const LOCATION = 'eastus';
export const VNET = `${CLUSTER}-vnet`;
export const SUBNET = `${CLUSTER}-worker-subnet`;
export const AZURE = 'infrastructure.cluster.x-k8s.io/v1beta1';
export const GALLERY = `gallery_${CLUSTER.replace(/-/g, '_')}`;
export const IMAGE_DEF = `${CLUSTER}-gen2`;

export const TEST_TIMINGS: Partial<KitTimings> = {
  launchLeaseMs: 3_000,
  notFoundGraceMs: 3_000,
  badInputRetryMs: 300,
  transitionPollMs: 200,
  terminatePollMs: 200,
  clusterRetryMs: 300,
};

export function imageID(sub: string, version = 'latest'): string {
  return `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/${GALLERY}/images/${IMAGE_DEF}/versions/${version}`;
}

export function identityProviderID(sub: string): string {
  return `azure:///subscriptions/${sub}/resourcegroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${CLUSTER}-identity`;
}

/** An OpenSSH `ssh-rsa` public key line (what `ssh-keygen` writes to id_rsa.pub). */
export const sshPublicKeyLine = () => newSshPublicKeyLine('capi-fn-test');

/** The OpenShift docs' AzureMachineTemplate sample, with this cluster's names. */
export function docsTemplateSpec(sub: string, sshKeyLine = sshPublicKeyLine()): Record<string, unknown> {
  return {
    disableExtensionOperations: true,
    identity: 'UserAssigned',
    image: { id: imageID(sub) },
    networkInterfaces: [{ acceleratedNetworking: true, privateIPConfigs: 1, subnetName: SUBNET }],
    osDisk: { diskSizeGB: 128, managedDisk: { storageAccountType: 'Premium_LRS' }, osType: 'Linux' },
    sshPublicKey: Buffer.from(sshKeyLine).toString('base64'),
    userAssignedIdentities: [{ providerID: identityProviderID(sub) }],
    vmSize: 'Standard_D4s_v3',
  };
}

/** What an installed cluster already has in its subscription: resource group, vnet and subnets, the RHCOS gallery image, the identity. */
export function seedInstalledCluster(arm: ArmEmulator): void {
  seedArm(arm.state, CLUSTER, LOCATION);
}

/**
 * The official SDKs, authenticated against the emulator's token endpoint with its service principal. `via`: reach
 * the emulator (ARM and its token endpoint both) through a proxy at that origin, trusting its CA too.
 */
export function clientsFor(arm: ArmEmulator, via?: { url: string; caPem?: string }): AzureSdkClients {
  const endpoint = via ? `${via.url.replace(/\/$/, '')}/` : arm.endpoint;
  return new AzureSdkClients({
    endpoint,
    authorityHost: via ? endpoint : arm.authorityHost,
    principal: { tenantId: arm.tenantId, clientId: arm.clientId, clientSecret: arm.clientSecret },
    ca: via?.caPem ? `${arm.caPem}\n${via.caPem}` : arm.caPem,
    env: {},
  });
}

/** The variables `capi-fn up --platform azure` reads, for the emulator (what `capi-fn emulator azure` prints). */
export function armEnv(arm: ArmEmulator): Record<string, string> {
  return {
    AZURE_RESOURCE_MANAGER_ENDPOINT: arm.endpoint,
    AZURE_AUTHORITY_HOST: arm.authorityHost,
    AZURE_TENANT_ID: arm.tenantId,
    AZURE_CLIENT_ID: arm.clientId,
    AZURE_CLIENT_SECRET: arm.clientSecret,
    AZURE_SUBSCRIPTION_ID: arm.subscriptionId,
  };
}

/**
 * Trusts the emulator's CA in this process, as NODE_EXTRA_CA_CERTS does for a new one (that variable is read only
 * at start-up). Returns the undo.
 */
export function trustArmCa(arm: ArmEmulator): () => void {
  const before = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...before, arm.caPem]);
  return () => tls.setDefaultCACertificates(before);
}
