// The GCP admission rules, through the webhook's review as the API server calls it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllKinds } from '../../../shared/api/kind-schemas.ts';
import { PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import { deniedMessage, infraRequest } from '../../../test/support/admission.ts';
import { type ReviewContext, review } from '../../webhooks/review.ts';
import { allowedServiceAccounts } from './admission.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const GCP: ReviewContext = {
  openshift: { infrastructureName: 'ocp-gcp-4wq8n', platformType: 'GCP', provider: PLATFORM_PROVIDERS.GCP },
};
// The OpenShift docs' GCPMachineTemplate sample.
const spec = {
  rootDeviceType: 'pd-ssd',
  rootDeviceSize: 128,
  instanceType: 'n1-standard-4',
  image: 'projects/rhcos-cloud/global/images/rhcos-9-6-20250701-0-gcp-x86-64',
  subnet: 'ocp-gcp-4wq8n-worker-subnet',
  serviceAccounts: {
    email: 'ocp-gcp-4wq8n-w@openshift-gce-devel.iam.gserviceaccount.com',
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  },
  additionalLabels: { 'kubernetes-io-cluster-ocp-gcp-4wq8n': 'owned' },
  additionalNetworkTags: ['ocp-gcp-4wq8n-worker'],
  ipForwarding: 'Disabled',
};

const req = (kind: string, o: Record<string, unknown>, operation: 'CREATE' | 'UPDATE' = 'CREATE', old?: unknown) =>
  infraRequest('v1beta1', kind, o, operation, old);
const denied = deniedMessage;
const template = (s: Record<string, unknown>) => req('GCPMachineTemplate', { spec: { template: { spec: s } } });

describe('GCP admission rules', () => {
  it('admits the docs’ sample', () => {
    expect(review(template(spec), GCP, 'validate').allowed).toBe(true);
    expect(review(req('GCPMachine', { spec }), GCP, 'validate').allowed).toBe(true);
  });

  it('refuses what Compute Engine would refuse, naming each field and the fix', () => {
    const r = denied(
      review(
        template({
          ...spec,
          preemptible: true,
          provisioningModel: 'Spot',
          guestAccelerators: [{ count: 1 }],
          onHostMaintenance: 'Migrate',
          additionalLabels: { 'Bad Key': 'x' },
          rootDiskEncryptionKey: { keyType: 'Managed' },
        }),
        GCP,
        'validate',
      ),
    );
    expect(r).toContain(
      'spec.template.spec.preemptible: Invalid value: cannot be set together with provisioningModel: Spot',
    );
    expect(r).toContain(
      'spec.template.spec.onHostMaintenance: Invalid value: Migrate is not possible with guestAccelerators',
    );
    expect(r).toContain('spec.template.spec.guestAccelerators[0].type: Invalid value: is required');
    expect(r).toContain('spec.template.spec.additionalLabels[Bad Key]: Invalid value: is not a valid GCE label key');
    expect(r).toContain('spec.template.spec.rootDiskEncryptionKey: Invalid value: names no key');
  });

  it('a template cannot name one instance; a recorded providerID does not change', () => {
    expect(denied(review(template({ ...spec, providerID: 'gce://p/z/prod-db' }), GCP, 'validate'))).toContain(
      'spec.template.spec.providerID: Forbidden',
    );
    const recorded = { spec: { ...spec, providerID: 'gce://openshift-gce-devel/us-central1-a/x' } };
    expect(review(req('GCPMachine', recorded, 'UPDATE', { spec }), GCP, 'validate').allowed).toBe(true);
    const swapped = { spec: { ...spec, providerID: 'gce://openshift-gce-devel/us-central1-a/prod-db' } };
    expect(denied(review(req('GCPMachine', swapped, 'UPDATE', recorded), GCP, 'validate'))).toContain(
      'spec.providerID: Forbidden: the instance is recorded as gce://openshift-gce-devel/us-central1-a/x and cannot change',
    );
  });

  it('a service account outside the allow-list is refused, naming the field and the list', () => {
    const bad = {
      ...spec,
      serviceAccounts: { email: 'owner@openshift-gce-devel.iam.gserviceaccount.com', scopes: [] },
    };
    expect(denied(review(req('GCPMachine', { spec: bad }), GCP, 'validate'))).toContain(
      'spec.serviceAccounts.email: Forbidden: service account "owner@openshift-gce-devel.iam.gserviceaccount.com" is not one this cluster allows (ocp-gcp-4wq8n-w@*, ocp-gcp-4wq8n-m@*)',
    );
    expect(
      allowedServiceAccounts({ env: { CAPI_FN_GCP_SERVICE_ACCOUNTS: 'a@*, b@x' }, infrastructureName: 'c' }),
    ).toEqual(['a@*', 'b@x']);
    expect(allowedServiceAccounts({ env: {} })).toBeUndefined();
  });
});
