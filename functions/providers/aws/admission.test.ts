// The AWS admission rules, through the webhook's review as the API server calls it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllKinds } from '../../../shared/api/kind-schemas.ts';
import { PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import { deniedMessage, infraRequest } from '../../../test/support/admission.ts';
import { type ReviewContext, review } from '../../webhooks/review.ts';
import { allowedInstanceProfiles } from './admission.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const AWS: ReviewContext = {
  openshift: { infrastructureName: 'ocp-aws-7xk2p', platformType: 'AWS', provider: PLATFORM_PROVIDERS.AWS },
};
const spec = {
  instanceType: 'm5.large',
  ami: { id: 'ami-1' },
  iamInstanceProfile: 'ocp-aws-7xk2p-worker-profile',
  ignition: { storageType: 'UnencryptedUserData' },
};

const req = (kind: string, o: Record<string, unknown>, operation: 'CREATE' | 'UPDATE' = 'CREATE', old?: unknown) =>
  infraRequest('v1beta2', kind, o, operation, old);

const denied = deniedMessage;

describe('AWS admission rules (the confused-deputy finding)', () => {
  it('a template cannot name one instance', () => {
    const r = review(
      req('AWSMachineTemplate', { spec: { template: { spec: { ...spec, instanceID: 'i-0prod' } } } }),
      AWS,
      'validate',
    );
    expect(denied(r)).toContain('spec.template.spec.instanceID: Forbidden');
    expect(review(req('AWSMachineTemplate', { spec: { template: { spec } } }), AWS, 'validate').allowed).toBe(true);
  });

  it('an AWSMachine may be created naming its instance (a restore); once recorded the instance does not change', () => {
    const recorded = { spec: { ...spec, instanceID: 'i-0new', providerID: 'aws:///us-east-1a/i-0new' } };
    expect(review(req('AWSMachine', recorded), AWS, 'validate').allowed).toBe(true);
    expect(review(req('AWSMachine', recorded, 'UPDATE', { spec }), AWS, 'validate').allowed).toBe(true);
    const swapped = { spec: { ...recorded.spec, instanceID: 'i-0other' } };
    expect(denied(review(req('AWSMachine', swapped, 'UPDATE', recorded), AWS, 'validate'))).toContain(
      'immutable once set',
    );
  });

  it('an instance profile outside the allow-list is refused, naming the field and the list', () => {
    const bad = review(req('AWSMachine', { spec: { ...spec, iamInstanceProfile: 'admin-profile' } }), AWS, 'validate');
    expect(denied(bad)).toContain(
      'spec.iamInstanceProfile: Forbidden: instance profile "admin-profile" is not one this cluster allows (ocp-aws-7xk2p-*)',
    );
    const tpl = review(
      req('AWSMachineTemplate', { spec: { template: { spec: { ...spec, iamInstanceProfile: 'admin-profile' } } } }),
      AWS,
      'validate',
    );
    expect(denied(tpl)).toContain('spec.template.spec.iamInstanceProfile');
  });

  it('takes the allow-list from the deployment, else OpenShift’s cluster ID, else none', () => {
    expect(
      allowedInstanceProfiles({ env: { CAPI_FN_AWS_INSTANCE_PROFILES: 'a-*, b' }, infrastructureName: 'c' }),
    ).toEqual(['a-*', 'b']);
    expect(allowedInstanceProfiles({ env: {}, infrastructureName: 'c' })).toEqual(['c-*']);
    expect(allowedInstanceProfiles({ env: {} })).toBeUndefined();
  });
});
