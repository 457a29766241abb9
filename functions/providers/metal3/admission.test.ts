// The Metal3 admission rules, through the webhook's review as the API server calls it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllKinds } from '../../../shared/api/kind-schemas.ts';
import { PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import { deniedMessage, INFRA_NS, infraRequest } from '../../../test/support/admission.ts';
import { type ReviewContext, review } from '../../webhooks/review.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const BM: ReviewContext = {
  openshift: { infrastructureName: 'ocp-bm-5k8vj', platformType: 'BareMetal', provider: PLATFORM_PROVIDERS.BareMetal },
};
const NS = INFRA_NS;
// The OpenShift docs' Metal3MachineTemplate sample.
const spec = { customDeploy: { method: 'install_coreos' }, userData: { name: 'worker-user-data-managed' } };

const req = (kind: string, o: Record<string, unknown>, operation: 'CREATE' | 'UPDATE' = 'CREATE', old?: unknown) =>
  infraRequest('v1beta1', kind, o, operation, old);
const denied = deniedMessage;
const template = (s: Record<string, unknown>) => req('Metal3MachineTemplate', { spec: { template: { spec: s } } });

describe('Metal3 admission rules', () => {
  it('admits the docs’ sample and an image with URL and checksum', () => {
    expect(review(template(spec), BM, 'validate').allowed).toBe(true);
    const image = {
      image: {
        url: 'http://172.22.0.1/rhcos.qcow2',
        checksum: 'http://172.22.0.1/rhcos.qcow2.sha256sum',
        checksumType: 'sha256',
      },
    };
    expect(review(req('Metal3Machine', { spec: image }), BM, 'validate').allowed).toBe(true);
  });

  it('refuses a dataTemplate of another kind, an image without URL or checksum and an unknown selector operator, naming each field', () => {
    const r = denied(
      review(
        template({
          dataTemplate: { kind: 'ConfigMap', name: 'worker-data' },
          image: { url: 'http://172.22.0.1/rhcos.qcow2' },
          hostSelector: { matchExpressions: [{ key: 'rack', operator: 'Within', values: ['r1'] }] },
        }),
        BM,
        'validate',
      ),
    );
    expect(r).toContain('spec.template.spec.dataTemplate.kind: Unsupported value');
    expect(review(template({ ...spec, dataTemplate: { name: 'worker-data' } }), BM, 'validate').allowed).toBe(true);
    expect(r).toContain('spec.template.spec.image.checksum: Required value');
    expect(r).toContain('spec.template.spec.hostSelector.matchExpressions[0].operator: Unsupported value');
    expect(denied(review(req('Metal3Machine', { spec: {} }), BM, 'validate'))).toContain(
      'spec.image.url: Required value',
    );
  });

  it('a template cannot name one host; a recorded providerID does not change', () => {
    expect(denied(review(template({ ...spec, providerID: 'metal3://ns/h/m' }), BM, 'validate'))).toContain(
      'spec.template.spec.providerID: Forbidden',
    );
    const recorded = { spec: { ...spec, providerID: `metal3://${NS}/worker-host-0/x` } };
    expect(review(req('Metal3Machine', recorded, 'UPDATE', { spec }), BM, 'validate').allowed).toBe(true);
    const moved = { spec: { ...spec, providerID: `metal3://${NS}/worker-host-1/x` } };
    expect(denied(review(req('Metal3Machine', moved, 'UPDATE', recorded), BM, 'validate'))).toContain(
      `spec.providerID: Forbidden: the host is recorded as metal3://${NS}/worker-host-0/x and cannot change`,
    );
  });

  it('refuses IP pools, unknown objects, a nameless interface and a bad MAC in a Metal3DataTemplate, naming each field', () => {
    const ok = {
      clusterName: 'ocp-bm-5k8vj',
      metaData: {
        objectNames: [{ key: 'name', object: 'machine' }],
        fromHostInterfaces: [{ key: 'mac', interface: 'eth0' }],
      },
      networkData: {
        links: { ethernets: [{ type: 'phy', id: 'eth0', macAddress: { string: '3c:fd:fe:9e:1a:48' } }] },
        networks: { ipv4DHCP: [{ id: 'p', link: 'eth0' }] },
      },
    };
    expect(review(req('Metal3DataTemplate', { spec: ok }), BM, 'validate').allowed).toBe(true);
    const bad = {
      metaData: {
        ipAddressesFromIPPool: [{ key: 'ip', name: 'pool', apiGroup: 'ipam.metal3.io', kind: 'IPPool' }],
        fromLabels: [{ key: 'rack', object: 'Node', label: 'rack' }],
        fromHostInterfaces: [{ key: 'mac' }],
      },
      networkData: {
        links: { ethernets: [{ type: 'phy', id: 'eth0', macAddress: { string: 'eth0' } }] },
        networks: { ipv4: [{ id: 'static', link: 'eth0', ipAddressFromIPPool: 'pool' }] },
      },
    };
    const r = denied(review(req('Metal3DataTemplate', { spec: bad }), BM, 'validate'));
    expect(r).toContain('spec.metaData.ipAddressesFromIPPool: Forbidden: IP pools need');
    expect(r).toContain('spec.networkData.networks.ipv4: Forbidden');
    expect(r).toContain('spec.metaData.fromLabels[0].object: Unsupported value');
    expect(r).toContain('spec.metaData.fromHostInterfaces[0].interface: Required value');
    expect(r).toContain('spec.networkData.links.ethernets[0].macAddress.string: Invalid value');
  });
});
