import { describe, expect, it } from 'vitest';
import type { GCPMachineSpec } from '../../../shared/api/providers/gcp.ts';
import { buildInsertBody, type InsertPlan, imageRef } from './request.ts';

const spec: GCPMachineSpec = {
  // The OpenShift docs' GCPMachineTemplate sample.
  rootDeviceType: 'pd-ssd',
  rootDeviceSize: 128,
  instanceType: 'n1-standard-4',
  image: 'projects/rhcos-cloud/global/images/rhcos-9-6-20250701-0-gcp-x86-64',
  subnet: 'ocp-gcp-4wq8n-worker-subnet',
  serviceAccounts: {
    email: 'ocp-w@openshift-gce-devel.iam.gserviceaccount.com',
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  },
  additionalLabels: { 'kubernetes-io-cluster-ocp-gcp-4wq8n': 'owned' },
  additionalNetworkTags: ['ocp-gcp-4wq8n-worker'],
  ipForwarding: 'Disabled',
};

const plan = (over: Partial<InsertPlan> = {}, s: Partial<GCPMachineSpec> = {}): InsertPlan => ({
  name: 'ocp-gcp-4wq8n-worker-a-x7p2k',
  project: 'openshift-gce-devel',
  zone: 'us-central1-a',
  spec: { ...spec, ...s },
  cluster: {
    spec: { project: 'openshift-gce-devel', region: 'us-central1', network: { name: 'ocp-gcp-4wq8n-network' } },
  },
  clusterName: 'ocp-gcp-4wq8n',
  machineUid: 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
  role: 'node',
  sourceImage:
    'https://www.googleapis.com/compute/v1/projects/rhcos-cloud/global/images/rhcos-9-6-20250701-0-gcp-x86-64',
  subnetwork: 'projects/openshift-gce-devel/regions/us-central1/subnetworks/ocp-gcp-4wq8n-worker-subnet',
  userData: '{"ignition":{"version":"3.4.0"}}',
  ...over,
});

describe('imageRef', () => {
  it.each([
    [
      { image: 'projects/rhcos-cloud/global/images/rhcos-x' },
      { project: 'rhcos-cloud', image: 'rhcos-x', field: 'spec.image' },
    ],
    [
      { image: 'https://www.googleapis.com/compute/v1/projects/rhcos-cloud/global/images/rhcos-x' },
      { project: 'rhcos-cloud', image: 'rhcos-x', field: 'spec.image' },
    ],
    [{ image: 'my-image' }, { project: 'p', image: 'my-image', field: 'spec.image' }],
    [
      { imageFamily: 'projects/rhcos-cloud/global/images/family/rhcos-9' },
      { project: 'rhcos-cloud', image: 'family/rhcos-9', field: 'spec.imageFamily' },
    ],
    [{ imageFamily: 'rhcos-9' }, { project: 'p', image: 'family/rhcos-9', field: 'spec.imageFamily' }],
  ])('%j', (s, want) => {
    expect(imageRef({ instanceType: 'x', ...s }, 'p')).toEqual(want);
  });

  it('names the field when neither is set or the value is not an image', () => {
    expect(imageRef({ instanceType: 'x' }, 'p')).toMatchObject({
      problem: expect.stringContaining('neither spec.image nor spec.imageFamily'),
    });
    expect(imageRef({ instanceType: 'x', image: 'Not An Image' }, 'p')).toMatchObject({
      problem: expect.stringContaining('spec.image "Not An Image"'),
    });
  });
});

describe('buildInsertBody (reference §3.3)', () => {
  it('honours every field of the docs’ sample', () => {
    const r = buildInsertBody(plan());
    expect(r.ok).toBe(true);
    const b = r.ok ? r.body : undefined;
    expect(b).toMatchObject({
      name: 'ocp-gcp-4wq8n-worker-a-x7p2k',
      machineType: 'zones/us-central1-a/machineTypes/n1-standard-4',
      canIpForward: false,
      networkInterfaces: [
        {
          network: 'projects/openshift-gce-devel/global/networks/ocp-gcp-4wq8n-network',
          subnetwork: 'projects/openshift-gce-devel/regions/us-central1/subnetworks/ocp-gcp-4wq8n-worker-subnet',
        },
      ],
      serviceAccounts: [spec.serviceAccounts],
      tags: { items: ['ocp-gcp-4wq8n-worker', 'ocp-gcp-4wq8n-node', 'ocp-gcp-4wq8n'] },
      labels: {
        'kubernetes-io-cluster-ocp-gcp-4wq8n': 'owned',
        'capg-cluster-ocp-gcp-4wq8n': 'owned',
        'capg-role': 'node',
        'capi-fn-machine-uid': 'c51d2e8a-3f47-4b90-a6d1-a1a1a1a10003',
      },
    });
    expect(b?.disks?.[0]).toEqual({
      boot: true,
      autoDelete: true,
      initializeParams: {
        sourceImage: plan().sourceImage,
        diskSizeGb: '128',
        diskType: 'zones/us-central1-a/diskTypes/pd-ssd',
      },
    });
    // The Ignition, verbatim, under user-data.
    expect(b?.metadata?.items).toEqual([{ key: 'user-data', value: '{"ignition":{"version":"3.4.0"}}' }]);
    expect(b?.networkInterfaces?.[0]?.accessConfigs).toBeUndefined();
  });

  it('adds the external NAT for publicIP, Spot scheduling, shielded and confidential VMs, GPUs', () => {
    const r = buildInsertBody(
      plan(
        {},
        {
          publicIP: true,
          provisioningModel: 'Spot',
          shieldedInstanceConfig: { secureBoot: 'Enabled' },
          confidentialCompute: 'AMDEncryptedVirtualizationNestedPaging',
          guestAccelerators: [{ type: 'nvidia-tesla-t4', count: 2 }],
        },
      ),
    );
    const b = r.ok ? r.body : undefined;
    expect(b?.networkInterfaces?.[0]?.accessConfigs).toEqual([{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }]);
    expect(b?.scheduling).toEqual({
      provisioningModel: 'SPOT',
      instanceTerminationAction: 'DELETE',
      onHostMaintenance: 'TERMINATE',
      automaticRestart: false,
    });
    expect(b?.shieldedInstanceConfig).toEqual({
      enableSecureBoot: true,
      enableVtpm: true,
      enableIntegrityMonitoring: true,
    });
    expect(b?.confidentialInstanceConfig).toEqual({
      enableConfidentialCompute: true,
      confidentialInstanceType: 'SEV_SNP',
    });
    expect(b?.guestAccelerators).toEqual([
      { acceleratorType: 'zones/us-central1-a/acceleratorTypes/nvidia-tesla-t4', acceleratorCount: 2 },
    ]);
  });

  it('refuses what GCE cannot do, naming the field', () => {
    const r = buildInsertBody(
      plan(
        { name: 'Bad_Name' },
        {
          preemptible: true,
          provisioningModel: 'Spot',
          guestAccelerators: [{ count: 1 }],
          onHostMaintenance: 'Migrate',
          additionalLabels: { 'Bad Key': 'x' },
        },
      ),
    );
    expect(r.ok).toBe(false);
    const text = r.ok ? '' : r.problems.join('\n');
    expect(text).toContain('GCPMachine name "Bad_Name"');
    expect(text).toContain('spec.preemptible: cannot be set together with provisioningModel: Spot');
    expect(text).toContain('spec.onHostMaintenance: Migrate is not possible with guestAccelerators');
    expect(text).toContain('spec.guestAccelerators[0].type: is required');
    expect(text).toContain('spec.additionalLabels[Bad Key]: is not a valid GCE label key');
  });
});
