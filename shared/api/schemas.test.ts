// Every fixture (docs-shaped objects for every kind) validates; wrong objects fail with the exact field path and,
// for enums, the allowed values.
import { describe, expect, it } from 'vitest';
import { fixture, loadFixtures } from '../../test/fixtures/index.ts';
import type { KubeObject } from './meta.ts';
import { allKinds, coreKinds, openshiftKinds, providerKinds, validateObject } from './registry.ts';
import { type FieldError, formatFieldErrors } from './validate.ts';

const fixtures = loadFixtures();

describe('fixtures', () => {
  it.each(fixtures.map((f) => [f.label, f] as const))('%s validates', (_label, f) => {
    const r = validateObject(f.object);
    if (!r.ok) expect.fail(formatFieldErrors(r.errors));
  });

  it.each(allKinds.map((k) => [`${k.group}/${k.kind}`, k] as const))('%s has at least one fixture', (_gk, def) => {
    const group = (o: KubeObject) => String(o.apiVersion).split('/')[0];
    const found = fixtures.filter((f) => group(f.object) === def.group && f.object.kind === def.kind);
    expect(found.length, `no fixture of ${def.group}/${def.kind}`).toBeGreaterThan(0);
  });

  // The OpenShift "Getting started" set for each platform plus the objects the handlers write.
  it.each(Object.entries(providerKinds))('%s fixtures cover the documented workflow', (provider, kinds) => {
    const have = new Set(fixtures.filter((f) => f.file.startsWith(`${provider}/`)).map((f) => f.object.kind));
    for (const k of ['Cluster', 'MachineSet', 'Machine', 'MachineHealthCheck', 'MachineDeployment']) {
      expect(have, `${provider} lacks a ${k}`).toContain(k);
    }
    for (const k of kinds) expect(have, `${provider} lacks a ${k.kind}`).toContain(k.kind);
  });

  it('registers every provider module and the OpenShift kinds', () => {
    expect(coreKinds.map((k) => k.kind)).toEqual([
      'Cluster',
      'MachineSet',
      'Machine',
      'MachineHealthCheck',
      'MachineDeployment',
      'MachineDrainRule',
    ]);
    expect(Object.fromEntries(Object.entries(providerKinds).map(([p, ks]) => [p, ks.map((k) => k.kind)]))).toEqual({
      aws: ['AWSCluster', 'AWSMachine', 'AWSMachineTemplate'],
      gcp: ['GCPCluster', 'GCPMachine', 'GCPMachineTemplate'],
      azure: ['AzureCluster', 'AzureMachine', 'AzureMachineTemplate', 'AzureClusterIdentity'],
      openstack: ['OpenStackCluster', 'OpenStackMachine', 'OpenStackMachineTemplate'],
      vsphere: [
        'VSphereCluster',
        'VSphereMachine',
        'VSphereMachineTemplate',
        'VSphereVM',
        'VSphereFailureDomain',
        'VSphereDeploymentZone',
      ],
      metal3: [
        'Metal3Cluster',
        'Metal3Machine',
        'Metal3MachineTemplate',
        'BareMetalHost',
        'Metal3DataTemplate',
        'Metal3DataClaim',
        'Metal3Data',
      ],
      local: ['LocalCluster', 'LocalMachine', 'LocalMachineTemplate'],
    });
    expect(openshiftKinds.map((k) => `${k.group}/${k.kind}`)).toEqual([
      'config.openshift.io/FeatureGate',
      'config.openshift.io/Infrastructure',
      'config.openshift.io/ClusterOperator',
      'machine.openshift.io/Machine',
      'machine.openshift.io/MachineSet',
    ]);
    for (const k of openshiftKinds) expect(k.provider).toBe('openshift');
    for (const k of openshiftKinds.filter((x) => x.group === 'config.openshift.io')) expect(k.scope).toBe('Cluster');
    for (const k of openshiftKinds.filter((x) => x.group === 'machine.openshift.io'))
      expect(k.scope).toBe('Namespaced');
  });
});

// ---- mutations ----

type Path = (string | number)[];
type Op = { set: unknown } | { delete: true };

interface Mutation {
  /** What the test shows. */
  what: string;
  file: string;
  index?: number;
  path: Path;
  op: Op;
  errors: FieldError[];
}

function apply(obj: KubeObject, path: Path, op: Op): KubeObject {
  let node = obj as unknown as Record<string | number, unknown>;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      if ('delete' in op) {
        if (!(key in node)) throw new Error(`mutation deletes ${path.join('.')}, which the fixture lacks`);
        delete node[key];
      } else node[key] = structuredClone(op.set);
      break;
    }
    if (node[key] === undefined) {
      // Only objects are created on the way; a missing list means the mutation names the wrong fixture.
      if (typeof path[i + 1] === 'number') throw new Error(`fixture lacks the list ${path.slice(0, i + 1).join('.')}`);
      node[key] = {};
    }
    node = node[key] as Record<string | number, unknown>;
  }
  return obj;
}

const required = (field: string): FieldError[] => [{ field, message: 'Required value' }];
const unknown = (field: string): FieldError[] => [{ field, message: 'unknown field' }];
const type = (field: string, input: unknown, expected: string): FieldError[] => [
  { field, message: `Invalid value: ${JSON.stringify(input)}: must be of type ${expected}` },
];
const unsupported = (field: string, input: string, values: string[]): FieldError[] => [
  {
    field,
    message: `Unsupported value: ${JSON.stringify(input)}: supported values: ${values.map((v) => JSON.stringify(v)).join(', ')}`,
  },
];

const T = ['spec', 'template', 'spec'];
const CONDITION_STATUS = ['True', 'False', 'Unknown'];
const UUID = '0b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';

const mutations: Record<string, Mutation[]> = {
  'cluster.x-k8s.io/Cluster': [
    {
      what: 'wrong enum',
      file: 'gcp/05-running.yaml',
      path: ['status', 'phase'],
      op: { set: 'Running' },
      errors: unsupported('status.phase', 'Running', [
        'Pending',
        'Provisioning',
        'Provisioned',
        'Deleting',
        'Failed',
        'Unknown',
      ]),
    },
    {
      what: 'wrong type',
      file: 'gcp/01-cluster.yaml',
      path: ['spec', 'controlPlaneEndpoint', 'port'],
      op: { set: '6443' },
      errors: type('spec.controlPlaneEndpoint.port', '6443', 'number'),
    },
    {
      what: 'missing required',
      file: 'gcp/01-cluster.yaml',
      path: ['spec', 'controlPlaneEndpoint', 'host'],
      op: { delete: true },
      errors: required('spec.controlPlaneEndpoint.host'),
    },
    {
      what: 'unknown field (a v1beta2 reference field in a v1beta1 object)',
      file: 'gcp/01-cluster.yaml',
      path: ['spec', 'infrastructureRef', 'apiGroup'],
      op: { set: 'infrastructure.cluster.x-k8s.io' },
      errors: unknown('spec.infrastructureRef.apiGroup'),
    },
  ],
  'cluster.x-k8s.io/MachineSet': [
    {
      what: 'wrong enum',
      file: 'aws/04-machineset.yaml',
      path: ['spec', 'deletePolicy'],
      op: { set: 'Largest' },
      errors: unsupported('spec.deletePolicy', 'Largest', ['Random', 'Newest', 'Oldest']),
    },
    {
      what: 'wrong type',
      file: 'aws/04-machineset.yaml',
      path: ['spec', 'replicas'],
      op: { set: '1' },
      errors: type('spec.replicas', '1', 'number'),
    },
    {
      what: 'missing required',
      file: 'aws/04-machineset.yaml',
      path: ['spec', 'template', 'spec', 'clusterName'],
      op: { delete: true },
      errors: required('spec.template.spec.clusterName'),
    },
    {
      what: 'unknown field deep in the template',
      file: 'aws/04-machineset.yaml',
      path: ['spec', 'template', 'spec', 'bootstrap', 'dataSecret'],
      op: { set: 'worker-user-data' },
      errors: unknown('spec.template.spec.bootstrap.dataSecret'),
    },
  ],
  'cluster.x-k8s.io/Machine': [
    {
      what: 'wrong enum',
      file: 'vsphere/05-running.yaml',
      index: 3,
      path: ['status', 'phase'],
      op: { set: 'Ready' },
      errors: unsupported('status.phase', 'Ready', [
        'Pending',
        'Provisioning',
        'Provisioned',
        'Running',
        'Deleting',
        'Deleted',
        'Failed',
        'Unknown',
      ]),
    },
    {
      what: 'wrong type',
      file: 'vsphere/05-running.yaml',
      index: 3,
      path: ['spec', 'bootstrap', 'dataSecretName'],
      op: { set: 42 },
      errors: type('spec.bootstrap.dataSecretName', 42, 'string'),
    },
    {
      what: 'missing required',
      file: 'vsphere/05-running.yaml',
      index: 3,
      path: ['spec', 'bootstrap'],
      op: { delete: true },
      errors: required('spec.bootstrap'),
    },
    {
      what: 'unknown field in a list item',
      file: 'vsphere/05-running.yaml',
      index: 3,
      path: ['status', 'addresses', 0, 'ip'],
      op: { set: '192.168.14.91' },
      errors: unknown('status.addresses[0].ip'),
    },
  ],
  'cluster.x-k8s.io/MachineHealthCheck': [
    {
      what: 'wrong enum',
      file: 'azure/06-machinehealthcheck.yaml',
      path: ['spec', 'selector', 'matchExpressions'],
      op: { set: [{ key: 'cluster.x-k8s.io/set-name', operator: 'Equals', values: ['x'] }] },
      errors: unsupported('spec.selector.matchExpressions[0].operator', 'Equals', [
        'In',
        'NotIn',
        'Exists',
        'DoesNotExist',
      ]),
    },
    {
      what: 'wrong type',
      file: 'azure/06-machinehealthcheck.yaml',
      path: ['spec', 'unhealthyConditions', 0, 'timeout'],
      op: { set: 300 },
      errors: type('spec.unhealthyConditions[0].timeout', 300, 'string'),
    },
    {
      what: 'missing required',
      file: 'azure/06-machinehealthcheck.yaml',
      path: ['spec', 'clusterName'],
      op: { delete: true },
      errors: required('spec.clusterName'),
    },
    {
      what: 'unknown field',
      file: 'azure/06-machinehealthcheck.yaml',
      path: ['spec', 'unhealthyConditions', 1, 'severity'],
      op: { set: 'Error' },
      errors: unknown('spec.unhealthyConditions[1].severity'),
    },
  ],
  'cluster.x-k8s.io/MachineDrainRule': [
    {
      what: 'wrong enum',
      file: 'core/01-cluster-lifecycle.yaml',
      index: 7,
      path: ['spec', 'drain', 'behavior'],
      op: { set: 'Evict' },
      errors: unsupported('spec.drain.behavior', 'Evict', ['Drain', 'Skip', 'WaitCompleted']),
    },
    {
      what: 'missing required',
      file: 'core/01-cluster-lifecycle.yaml',
      index: 7,
      path: ['spec', 'drain'],
      op: { delete: true },
      errors: required('spec.drain'),
    },
    {
      what: 'wrong type',
      file: 'core/01-cluster-lifecycle.yaml',
      index: 7,
      path: ['spec', 'drain', 'order'],
      op: { set: '5' },
      errors: type('spec.drain.order', '5', 'number'),
    },
    {
      what: 'unknown field',
      file: 'core/01-cluster-lifecycle.yaml',
      index: 7,
      path: ['spec', 'pods', 0, 'nodeSelector'],
      op: { set: {} },
      errors: unknown('spec.pods[0].nodeSelector'),
    },
  ],
  'cluster.x-k8s.io/MachineDeployment': [
    {
      what: 'wrong enum',
      file: 'openstack/07-machinedeployment.yaml',
      path: ['spec', 'strategy', 'type'],
      op: { set: 'Recreate' },
      errors: unsupported('spec.strategy.type', 'Recreate', ['RollingUpdate', 'OnDelete']),
    },
    {
      what: 'wrong type',
      file: 'openstack/07-machinedeployment.yaml',
      path: ['spec', 'replicas'],
      op: { set: '2' },
      errors: type('spec.replicas', '2', 'number'),
    },
    {
      what: 'not an integer',
      file: 'openstack/07-machinedeployment.yaml',
      path: ['spec', 'replicas'],
      op: { set: 1.5 },
      errors: [{ field: 'spec.replicas', message: 'Invalid value: 1.5: must be of type integer' }],
    },
    {
      what: 'int-or-string given a boolean',
      file: 'openstack/07-machinedeployment.yaml',
      path: ['spec', 'strategy', 'rollingUpdate', 'maxSurge'],
      op: { set: true },
      errors: [
        {
          field: 'spec.strategy.rollingUpdate.maxSurge',
          message: 'Invalid value: true: must be of type number or string',
        },
      ],
    },
    {
      what: 'missing required',
      file: 'openstack/07-machinedeployment.yaml',
      path: ['spec', 'selector'],
      op: { delete: true },
      errors: required('spec.selector'),
    },
    {
      what: 'unknown field',
      file: 'openstack/07-machinedeployment.yaml',
      path: ['spec', 'strategy', 'rollingUpdate', 'maxSurgePercent'],
      op: { set: 25 },
      errors: unknown('spec.strategy.rollingUpdate.maxSurgePercent'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/AWSCluster': [
    {
      what: 'wrong enum',
      file: 'aws/05-running.yaml',
      index: 1,
      path: ['spec', 'identityRef', 'kind'],
      op: { set: 'AWSClusterIdentity' },
      errors: unsupported('spec.identityRef.kind', 'AWSClusterIdentity', [
        'AWSClusterControllerIdentity',
        'AWSClusterRoleIdentity',
        'AWSClusterStaticIdentity',
      ]),
    },
    {
      what: 'wrong type',
      file: 'aws/02-awscluster.yaml',
      path: ['spec', 'region'],
      op: { set: ['us-east-1'] },
      errors: type('spec.region', ['us-east-1'], 'string'),
    },
    {
      what: 'missing required',
      file: 'aws/05-running.yaml',
      index: 1,
      path: ['spec', 'identityRef', 'name'],
      op: { delete: true },
      errors: required('spec.identityRef.name'),
    },
    {
      what: 'unknown field',
      file: 'aws/02-awscluster.yaml',
      path: ['spec', 'network', 'vpc', 'cidr'],
      op: { set: '10.0.0.0/16' },
      errors: unknown('spec.network.vpc.cidr'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/AWSMachine': [
    {
      what: 'wrong enum',
      file: 'aws/05-running.yaml',
      index: 4,
      path: ['spec', 'ignition', 'storageType'],
      op: { set: 'UserData' },
      errors: unsupported('spec.ignition.storageType', 'UserData', ['ClusterObjectStore', 'UnencryptedUserData']),
    },
    {
      what: 'wrong type',
      file: 'aws/05-running.yaml',
      index: 4,
      path: ['spec', 'publicIP'],
      op: { set: 'true' },
      errors: type('spec.publicIP', 'true', 'boolean'),
    },
    {
      what: 'missing required',
      file: 'aws/05-running.yaml',
      index: 4,
      path: ['spec', 'instanceType'],
      op: { delete: true },
      errors: required('spec.instanceType'),
    },
    {
      what: 'unknown field',
      file: 'aws/05-running.yaml',
      index: 4,
      path: ['spec', 'subnet', 'filters', 0, 'value'],
      op: { set: 'x' },
      errors: unknown('spec.subnet.filters[0].value'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/AWSMachineTemplate': [
    {
      what: 'wrong enum (MAPI spells it EFA)',
      file: 'aws/08-awsmachinetemplate-options.yaml',
      index: 0,
      path: [...T, 'networkInterfaceType'],
      op: { set: 'EFA' },
      errors: unsupported('spec.template.spec.networkInterfaceType', 'EFA', ['interface', 'efa']),
    },
    {
      what: 'wrong type',
      file: 'aws/08-awsmachinetemplate-options.yaml',
      index: 6,
      path: [...T, 'rootVolume', 'size'],
      op: { set: '120' },
      errors: type('spec.template.spec.rootVolume.size', '120', 'number'),
    },
    {
      what: 'missing required',
      file: 'aws/03-awsmachinetemplate.yaml',
      path: [...T, 'instanceType'],
      op: { delete: true },
      errors: required('spec.template.spec.instanceType'),
    },
    {
      what: "unknown field (the migration docs name, not CAPA's eksLookupType)",
      file: 'aws/03-awsmachinetemplate.yaml',
      path: [...T, 'ami', 'eksOptimizedLookupType'],
      op: { set: 'AmazonLinux' },
      errors: unknown('spec.template.spec.ami.eksOptimizedLookupType'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/LocalCluster': [
    {
      what: 'wrong enum',
      file: 'local/05-running.yaml',
      index: 1,
      path: ['status', 'conditions', 0, 'status'],
      op: { set: 'Yes' },
      errors: unsupported('status.conditions[0].status', 'Yes', CONDITION_STATUS),
    },
    {
      what: 'wrong type',
      file: 'local/02-localcluster.yaml',
      path: ['spec', 'failureDomains'],
      op: { set: 'zone-a' },
      errors: type('spec.failureDomains', 'zone-a', 'array'),
    },
    {
      what: 'missing required',
      file: 'local/02-localcluster.yaml',
      path: ['spec', 'controlPlaneEndpoint', 'port'],
      op: { delete: true },
      errors: required('spec.controlPlaneEndpoint.port'),
    },
    {
      what: 'unknown field',
      file: 'local/02-localcluster.yaml',
      path: ['spec', 'controlPlaneEndpoint', 'scheme'],
      op: { set: 'https' },
      errors: unknown('spec.controlPlaneEndpoint.scheme'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/LocalMachine': [
    {
      what: 'wrong enum',
      file: 'local/05-running.yaml',
      index: 4,
      path: ['status', 'instanceState'],
      op: { set: 'booting' },
      errors: unsupported('status.instanceState', 'booting', [
        'pending',
        'running',
        'terminating',
        'terminated',
        'failed',
      ]),
    },
    {
      what: 'wrong type',
      file: 'local/05-running.yaml',
      index: 4,
      path: ['spec', 'cpus'],
      op: { set: '4' },
      errors: type('spec.cpus', '4', 'number'),
    },
    {
      what: 'missing required',
      file: 'local/08-localmachine-failed.yaml',
      path: ['spec'],
      op: { delete: true },
      errors: required('spec'),
    },
    {
      what: 'unknown field',
      file: 'local/05-running.yaml',
      index: 4,
      path: ['spec', 'gpus'],
      op: { set: 1 },
      errors: unknown('spec.gpus'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/LocalMachineTemplate': [
    {
      what: 'wrong format',
      file: 'local/03-localmachinetemplate.yaml',
      path: [...T, 'bootDelay'],
      op: { set: '3 seconds' },
      errors: [
        {
          field: 'spec.template.spec.bootDelay',
          message: 'Invalid value: "3 seconds": must be a duration such as "10s", "5m" or "1h30m"',
        },
      ],
    },
    {
      what: 'wrong type',
      file: 'local/03-localmachinetemplate.yaml',
      path: [...T, 'memoryMiB'],
      op: { set: '8Gi' },
      errors: type('spec.template.spec.memoryMiB', '8Gi', 'number'),
    },
    {
      what: 'missing required',
      file: 'local/03-localmachinetemplate.yaml',
      path: ['spec', 'template'],
      op: { delete: true },
      errors: required('spec.template'),
    },
    {
      what: 'unknown field',
      file: 'local/03-localmachinetemplate.yaml',
      path: [...T, 'disk'],
      op: { set: '20Gi' },
      errors: unknown('spec.template.spec.disk'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/GCPCluster': [
    {
      what: 'wrong enum',
      file: 'gcp/02-gcpcluster.yaml',
      path: ['spec', 'loadBalancer', 'loadBalancerType'],
      op: { set: 'Public' },
      errors: unsupported('spec.loadBalancer.loadBalancerType', 'Public', ['External', 'Internal', 'InternalExternal']),
    },
    {
      what: 'wrong type',
      file: 'gcp/02-gcpcluster.yaml',
      path: ['spec', 'network', 'name'],
      op: { set: 5 },
      errors: type('spec.network.name', 5, 'string'),
    },
    {
      what: 'missing required',
      file: 'gcp/02-gcpcluster.yaml',
      path: ['spec', 'project'],
      op: { delete: true },
      errors: required('spec.project'),
    },
    {
      what: 'unknown field (wrong case)',
      file: 'gcp/02-gcpcluster.yaml',
      path: ['spec', 'network', 'hostproject'],
      op: { set: 'shared-vpc-host' },
      errors: unknown('spec.network.hostproject'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/GCPMachine': [
    {
      what: 'wrong enum',
      file: 'gcp/05-running.yaml',
      index: 4,
      path: ['spec', 'rootDeviceType'],
      op: { set: 'pd-extreme' },
      errors: unsupported('spec.rootDeviceType', 'pd-extreme', [
        'pd-standard',
        'pd-ssd',
        'pd-balanced',
        'hyperdisk-balanced',
      ]),
    },
    {
      what: 'wrong type',
      file: 'gcp/05-running.yaml',
      index: 4,
      path: ['spec', 'rootDeviceSize'],
      op: { set: '128' },
      errors: type('spec.rootDeviceSize', '128', 'number'),
    },
    {
      what: 'missing required',
      file: 'gcp/05-running.yaml',
      index: 4,
      path: ['spec', 'instanceType'],
      op: { delete: true },
      errors: required('spec.instanceType'),
    },
    {
      what: 'unknown field',
      file: 'gcp/05-running.yaml',
      index: 4,
      path: ['spec', 'serviceAccounts', 'scope'],
      op: { set: ['x'] },
      errors: unknown('spec.serviceAccounts.scope'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/GCPMachineTemplate': [
    {
      what: 'wrong enum',
      file: 'gcp/03-gcpmachinetemplate.yaml',
      path: [...T, 'ipForwarding'],
      op: { set: 'Disable' },
      errors: unsupported('spec.template.spec.ipForwarding', 'Disable', ['Enabled', 'Disabled']),
    },
    {
      what: 'wrong type',
      file: 'gcp/03-gcpmachinetemplate.yaml',
      path: [...T, 'additionalNetworkTags'],
      op: { set: 'ocp-worker' },
      errors: type('spec.template.spec.additionalNetworkTags', 'ocp-worker', 'array'),
    },
    {
      what: 'missing required',
      file: 'gcp/03-gcpmachinetemplate.yaml',
      path: [...T, 'instanceType'],
      op: { delete: true },
      errors: required('spec.template.spec.instanceType'),
    },
    {
      what: 'unknown field',
      file: 'gcp/03-gcpmachinetemplate.yaml',
      path: [...T, 'serviceAccounts', 'emails'],
      op: { set: ['a@b'] },
      errors: unknown('spec.template.spec.serviceAccounts.emails'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/AzureCluster': [
    {
      what: 'wrong enum',
      file: 'azure/02-azurecluster.yaml',
      path: ['spec', 'networkSpec', 'nodeOutboundLB', 'type'],
      op: { set: 'External' },
      errors: unsupported('spec.networkSpec.nodeOutboundLB.type', 'External', ['Internal', 'Public']),
    },
    {
      what: 'wrong type',
      file: 'azure/02-azurecluster.yaml',
      path: ['spec', 'networkSpec', 'vnet', 'name'],
      op: { set: 1 },
      errors: type('spec.networkSpec.vnet.name', 1, 'string'),
    },
    {
      what: 'missing required',
      file: 'azure/02-azurecluster.yaml',
      path: ['spec', 'location'],
      op: { delete: true },
      errors: required('spec.location'),
    },
    {
      what: 'unknown field',
      file: 'azure/02-azurecluster.yaml',
      path: ['spec', 'networkSpec', 'nodeOutboundLB', 'backendPool', 'id'],
      op: { set: 'x' },
      errors: unknown('spec.networkSpec.nodeOutboundLB.backendPool.id'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/AzureMachine': [
    {
      what: 'wrong enum',
      file: 'azure/05-running.yaml',
      index: 4,
      path: ['spec', 'identity'],
      op: { set: 'Managed' },
      errors: unsupported('spec.identity', 'Managed', ['None', 'SystemAssigned', 'UserAssigned']),
    },
    {
      what: 'wrong type',
      file: 'azure/05-running.yaml',
      index: 4,
      path: ['spec', 'osDisk', 'diskSizeGB'],
      op: { set: '128' },
      errors: type('spec.osDisk.diskSizeGB', '128', 'number'),
    },
    {
      what: 'missing required',
      file: 'azure/05-running.yaml',
      index: 4,
      path: ['spec', 'osDisk', 'osType'],
      op: { delete: true },
      errors: required('spec.osDisk.osType'),
    },
    {
      what: 'unknown field',
      file: 'azure/05-running.yaml',
      index: 4,
      path: ['spec', 'networkInterfaces', 0, 'privateIPConfig'],
      op: { set: 1 },
      errors: unknown('spec.networkInterfaces[0].privateIPConfig'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/AzureMachineTemplate': [
    {
      what: 'wrong enum',
      file: 'azure/03-azuremachinetemplate.yaml',
      path: [...T, 'osDisk', 'managedDisk', 'storageAccountType'],
      op: { set: 'Premium_SSD' },
      errors: unsupported('spec.template.spec.osDisk.managedDisk.storageAccountType', 'Premium_SSD', [
        'Standard_LRS',
        'Premium_LRS',
        'StandardSSD_LRS',
        'UltraSSD_LRS',
        'Premium_ZRS',
        'StandardSSD_ZRS',
        'PremiumV2_LRS',
      ]),
    },
    {
      what: 'wrong type',
      file: 'azure/03-azuremachinetemplate.yaml',
      path: [...T, 'disableExtensionOperations'],
      op: { set: 'true' },
      errors: type('spec.template.spec.disableExtensionOperations', 'true', 'boolean'),
    },
    {
      what: 'missing required',
      file: 'azure/03-azuremachinetemplate.yaml',
      path: [...T, 'vmSize'],
      op: { delete: true },
      errors: required('spec.template.spec.vmSize'),
    },
    {
      what: 'unknown field',
      file: 'azure/03-azuremachinetemplate.yaml',
      path: [...T, 'image', 'galleryId'],
      op: { set: 'x' },
      errors: unknown('spec.template.spec.image.galleryId'),
    },
    {
      what: 'not a quantity',
      file: 'azure/08-azuremachinetemplate-options.yaml',
      path: [...T, 'spotVMOptions', 'maxPrice'],
      op: { set: 'cheap' },
      errors: [
        {
          field: 'spec.template.spec.spotVMOptions.maxPrice',
          message: 'Invalid value: "cheap": must be a quantity such as "2", "500m" or "4Gi"',
        },
      ],
    },
    {
      what: 'two image sources',
      file: 'azure/03-azuremachinetemplate.yaml',
      path: [...T, 'image', 'marketplace'],
      op: { set: { publisher: 'p', offer: 'o', sku: 's', version: 'v' } },
      errors: [
        {
          field: 'spec.template.spec.image',
          message: 'exactly one of "id", "sharedGallery", "marketplace", "computeGallery" must be set',
        },
      ],
    },
  ],
  'infrastructure.cluster.x-k8s.io/AzureClusterIdentity': [
    {
      what: 'wrong enum',
      file: 'azure/02-azureclusteridentity.yaml',
      path: ['spec', 'type'],
      op: { set: 'ServicePrincipalSecret' },
      errors: unsupported('spec.type', 'ServicePrincipalSecret', [
        'ServicePrincipal',
        'UserAssignedMSI',
        'ManualServicePrincipal',
        'ServicePrincipalCertificate',
        'WorkloadIdentity',
        'UserAssignedIdentityCredential',
      ]),
    },
    {
      what: 'wrong type',
      file: 'azure/02-azureclusteridentity.yaml',
      path: ['spec', 'allowedNamespaces', 'list'],
      op: { set: 'openshift-cluster-api' },
      errors: type('spec.allowedNamespaces.list', 'openshift-cluster-api', 'array'),
    },
    {
      what: 'missing required',
      file: 'azure/02-azureclusteridentity.yaml',
      path: ['spec', 'tenantID'],
      op: { delete: true },
      errors: required('spec.tenantID'),
    },
    {
      what: 'unknown field',
      file: 'azure/02-azureclusteridentity.yaml',
      path: ['spec', 'clientSecret', 'key'],
      op: { set: 'clientSecret' },
      errors: unknown('spec.clientSecret.key'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/OpenStackCluster': [
    {
      what: 'wrong enum',
      file: 'openstack/02-openstackcluster.yaml',
      path: ['spec', 'identityRef', 'type'],
      op: { set: 'Application' },
      errors: unsupported('spec.identityRef.type', 'Application', ['Secret', 'ClusterIdentity']),
    },
    {
      what: "wrong type (the docs' scalar controlPlaneEndpoint)",
      file: 'openstack/02-openstackcluster.yaml',
      path: ['spec', 'controlPlaneEndpoint'],
      op: { set: '10.0.0.5:6443' },
      errors: type('spec.controlPlaneEndpoint', '10.0.0.5:6443', 'object'),
    },
    {
      what: 'missing required',
      file: 'openstack/02-openstackcluster.yaml',
      path: ['spec', 'identityRef', 'cloudName'],
      op: { delete: true },
      errors: required('spec.identityRef.cloudName'),
    },
    {
      what: 'unknown field (name belongs under filter)',
      file: 'openstack/02-openstackcluster.yaml',
      path: ['spec', 'network', 'name'],
      op: { set: 'default' },
      errors: unknown('spec.network.name'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/OpenStackMachine': [
    {
      what: 'wrong enum',
      file: 'openstack/05-running.yaml',
      index: 4,
      path: ['spec', 'identityRef'],
      op: { set: { type: 'Token', name: 'x', cloudName: 'openstack' } },
      errors: unsupported('spec.identityRef.type', 'Token', ['Secret', 'ClusterIdentity']),
    },
    {
      what: 'wrong type',
      file: 'openstack/05-running.yaml',
      index: 4,
      path: ['spec', 'flavor'],
      op: { set: 4 },
      errors: type('spec.flavor', 4, 'string'),
    },
    {
      what: 'missing required',
      file: 'openstack/05-running.yaml',
      index: 4,
      path: ['spec', 'image'],
      op: { delete: true },
      errors: required('spec.image'),
    },
    {
      what: 'unknown field',
      file: 'openstack/05-running.yaml',
      index: 4,
      path: ['spec', 'image', 'filter', 'id'],
      op: { set: UUID },
      errors: unknown('spec.image.filter.id'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/OpenStackMachineTemplate': [
    {
      what: 'wrong enum',
      file: 'openstack/08-openstackmachinetemplate-options.yaml',
      path: [...T, 'rootVolume', 'availabilityZone', 'from'],
      op: { set: 'Zone' },
      errors: unsupported('spec.template.spec.rootVolume.availabilityZone.from', 'Zone', ['Name', 'Machine']),
    },
    {
      what: 'wrong type',
      file: 'openstack/03-openstackmachinetemplate.yaml',
      path: [...T, 'tags'],
      op: { set: 'openshiftClusterID=x' },
      errors: type('spec.template.spec.tags', 'openshiftClusterID=x', 'array'),
    },
    {
      what: 'missing required',
      file: 'openstack/03-openstackmachinetemplate.yaml',
      path: [...T, 'image'],
      op: { delete: true },
      errors: required('spec.template.spec.image'),
    },
    {
      what: 'unknown field',
      file: 'openstack/03-openstackmachinetemplate.yaml',
      path: [...T, 'image', 'name'],
      op: { set: 'rhcos-4.18' },
      errors: unknown('spec.template.spec.image.name'),
    },
    {
      what: 'both id and filter',
      file: 'openstack/03-openstackmachinetemplate.yaml',
      path: [...T, 'image', 'id'],
      op: { set: UUID },
      errors: [{ field: 'spec.template.spec.image', message: 'exactly one of "id", "filter", "imageRef" must be set' }],
    },
  ],
  'infrastructure.cluster.x-k8s.io/VSphereCluster': [
    {
      what: 'wrong enum',
      file: 'vsphere/02-vspherecluster.yaml',
      path: ['spec', 'identityRef', 'kind'],
      op: { set: 'VSphereIdentity' },
      errors: unsupported('spec.identityRef.kind', 'VSphereIdentity', ['VSphereClusterIdentity', 'Secret']),
    },
    {
      what: 'wrong type',
      file: 'vsphere/02-vspherecluster.yaml',
      path: ['spec', 'server'],
      op: { set: 10 },
      errors: type('spec.server', 10, 'string'),
    },
    {
      what: 'missing required',
      file: 'vsphere/02-vspherecluster.yaml',
      path: ['spec', 'identityRef', 'name'],
      op: { delete: true },
      errors: required('spec.identityRef.name'),
    },
    {
      what: 'unknown field',
      file: 'vsphere/02-vspherecluster.yaml',
      path: ['spec', 'identityRef', 'namespace'],
      op: { set: 'kube-system' },
      errors: unknown('spec.identityRef.namespace'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/VSphereVM': [
    {
      what: 'wrong enum',
      file: 'vsphere/05-running.yaml',
      index: 5,
      path: ['spec', 'cloneMode'],
      op: { set: 'instantClone' },
      errors: unsupported('spec.cloneMode', 'instantClone', ['linkedClone', 'fullClone']),
    },
    {
      what: 'wrong type',
      file: 'vsphere/05-running.yaml',
      index: 5,
      path: ['status', 'addresses'],
      op: { set: '10.0.0.5' },
      errors: type('status.addresses', '10.0.0.5', 'array'),
    },
    {
      what: 'missing required',
      file: 'vsphere/05-running.yaml',
      index: 5,
      path: ['spec', 'template'],
      op: { delete: true },
      errors: required('spec.template'),
    },
    {
      what: 'unknown field',
      file: 'vsphere/05-running.yaml',
      index: 5,
      path: ['status', 'instanceState'],
      op: { set: 'running' },
      errors: unknown('status.instanceState'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/VSphereFailureDomain': [
    {
      what: 'wrong enum',
      file: 'vsphere/09-failure-domains.yaml',
      index: 0,
      path: ['spec', 'zone', 'type'],
      op: { set: 'Rack' },
      errors: unsupported('spec.zone.type', 'Rack', ['Datacenter', 'ComputeCluster', 'HostGroup']),
    },
    {
      what: 'wrong type',
      file: 'vsphere/09-failure-domains.yaml',
      index: 0,
      path: ['spec', 'topology', 'networks'],
      op: { set: 'ocp-vm-network' },
      errors: type('spec.topology.networks', 'ocp-vm-network', 'array'),
    },
    {
      what: 'missing required',
      file: 'vsphere/09-failure-domains.yaml',
      index: 0,
      path: ['spec', 'topology', 'datacenter'],
      op: { delete: true },
      errors: required('spec.topology.datacenter'),
    },
    {
      what: 'unknown field',
      file: 'vsphere/09-failure-domains.yaml',
      index: 0,
      path: ['spec', 'topology', 'folder'],
      op: { set: '/dc1/vm' },
      errors: unknown('spec.topology.folder'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/VSphereDeploymentZone': [
    {
      what: 'wrong type',
      file: 'vsphere/09-failure-domains.yaml',
      index: 1,
      path: ['spec', 'controlPlane'],
      op: { set: 'yes' },
      errors: type('spec.controlPlane', 'yes', 'boolean'),
    },
    {
      what: 'missing required',
      file: 'vsphere/09-failure-domains.yaml',
      index: 1,
      path: ['spec'],
      op: { delete: true },
      errors: required('spec'),
    },
    {
      what: 'unknown field',
      file: 'vsphere/09-failure-domains.yaml',
      index: 1,
      path: ['spec', 'placementConstraint', 'datastore'],
      op: { set: 'ds1' },
      errors: unknown('spec.placementConstraint.datastore'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/VSphereMachine': [
    {
      what: 'wrong enum',
      file: 'vsphere/05-running.yaml',
      index: 4,
      path: ['spec', 'powerOffMode'],
      op: { set: 'graceful' },
      errors: unsupported('spec.powerOffMode', 'graceful', ['hard', 'soft', 'trySoft']),
    },
    {
      what: 'wrong type',
      file: 'vsphere/05-running.yaml',
      index: 4,
      path: ['spec', 'numCPUs'],
      op: { set: '4' },
      errors: type('spec.numCPUs', '4', 'number'),
    },
    {
      what: 'missing required',
      file: 'vsphere/05-running.yaml',
      index: 4,
      path: ['spec', 'template'],
      op: { delete: true },
      errors: required('spec.template'),
    },
    {
      what: 'unknown field',
      file: 'vsphere/05-running.yaml',
      index: 4,
      path: ['spec', 'network', 'devices', 0, 'dhcp'],
      op: { set: true },
      errors: unknown('spec.network.devices[0].dhcp'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/VSphereMachineTemplate': [
    {
      what: 'wrong enum',
      file: 'vsphere/03-vspheremachinetemplate.yaml',
      path: [...T, 'cloneMode'],
      op: { set: 'LinkedClone' },
      errors: unsupported('spec.template.spec.cloneMode', 'LinkedClone', ['linkedClone', 'fullClone']),
    },
    {
      what: "wrong type (the docs' list-shaped failureDomain)",
      file: 'vsphere/03-vspheremachinetemplate.yaml',
      path: [...T, 'failureDomain'],
      op: { set: [{ name: 'fd1', region: 'r', zone: 'z', server: 'vcenter.example.com' }] },
      errors: type(
        'spec.template.spec.failureDomain',
        [{ name: 'fd1', region: 'r', zone: 'z', server: 'vcenter.example.com' }],
        'string',
      ),
    },
    {
      what: 'missing required',
      file: 'vsphere/03-vspheremachinetemplate.yaml',
      path: [...T, 'network', 'devices', 0, 'networkName'],
      op: { delete: true },
      errors: required('spec.template.spec.network.devices[0].networkName'),
    },
    {
      what: 'unknown field',
      file: 'vsphere/03-vspheremachinetemplate.yaml',
      path: [...T, 'network', 'devices', 0, 'ipAddress'],
      op: { set: '192.168.14.120/24' },
      errors: unknown('spec.template.spec.network.devices[0].ipAddress'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/Metal3Cluster': [
    {
      what: 'wrong enum',
      file: 'metal3/05-running.yaml',
      index: 1,
      path: ['status', 'conditions'],
      op: { set: [{ type: 'Ready', status: 'yes', lastTransitionTime: '2026-11-23T18:02:11Z' }] },
      errors: unsupported('status.conditions[0].status', 'yes', CONDITION_STATUS),
    },
    {
      what: 'wrong type',
      file: 'metal3/02-metal3cluster.yaml',
      path: ['spec', 'noCloudProvider'],
      op: { set: 'true' },
      errors: type('spec.noCloudProvider', 'true', 'boolean'),
    },
    {
      what: 'missing required',
      file: 'metal3/02-metal3cluster.yaml',
      path: ['spec', 'controlPlaneEndpoint', 'host'],
      op: { delete: true },
      errors: required('spec.controlPlaneEndpoint.host'),
    },
    {
      what: 'unknown field',
      file: 'metal3/02-metal3cluster.yaml',
      path: ['spec', 'cloudProvider'],
      op: { set: false },
      errors: unknown('spec.cloudProvider'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/Metal3Machine': [
    {
      what: 'wrong enum',
      file: 'metal3/05-running.yaml',
      index: 4,
      path: ['spec', 'automatedCleaningMode'],
      op: { set: 'enabled' },
      errors: unsupported('spec.automatedCleaningMode', 'enabled', ['metadata', 'disabled']),
    },
    {
      what: "wrong type (the docs' scalar customDeploy)",
      file: 'metal3/05-running.yaml',
      index: 4,
      path: ['spec', 'customDeploy'],
      op: { set: 'install_coreos' },
      errors: type('spec.customDeploy', 'install_coreos', 'object'),
    },
    {
      what: 'missing required',
      file: 'metal3/05-running.yaml',
      index: 4,
      path: ['spec', 'customDeploy', 'method'],
      op: { delete: true },
      errors: required('spec.customDeploy.method'),
    },
    {
      what: 'unknown field',
      file: 'metal3/05-running.yaml',
      index: 4,
      path: ['spec', 'userData', 'key'],
      op: { set: 'userData' },
      errors: unknown('spec.userData.key'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/Metal3MachineTemplate': [
    {
      what: 'wrong enum',
      file: 'metal3/08-metal3machinetemplate-options.yaml',
      path: [...T, 'image', 'checksumType'],
      op: { set: 'sha1' },
      errors: unsupported('spec.template.spec.image.checksumType', 'sha1', ['md5', 'sha256', 'sha512']),
    },
    {
      what: 'wrong type',
      file: 'metal3/08-metal3machinetemplate-options.yaml',
      path: ['spec', 'nodeReuse'],
      op: { set: 'yes' },
      errors: type('spec.nodeReuse', 'yes', 'boolean'),
    },
    {
      what: 'missing required',
      file: 'metal3/08-metal3machinetemplate-options.yaml',
      path: [...T, 'image', 'checksum'],
      op: { delete: true },
      errors: required('spec.template.spec.image.checksum'),
    },
    {
      what: 'unknown field',
      file: 'metal3/03-metal3machinetemplate.yaml',
      path: [...T, 'customDeploy', 'image'],
      op: { set: 'rhcos' },
      errors: unknown('spec.template.spec.customDeploy.image'),
    },
  ],
  'metal3.io/BareMetalHost': [
    {
      what: 'wrong enum',
      file: 'metal3/09-baremetalhosts.yaml',
      path: ['spec', 'bootMode'],
      op: { set: 'BIOS' },
      errors: unsupported('spec.bootMode', 'BIOS', ['UEFI', 'UEFISecureBoot', 'legacy']),
    },
    {
      what: 'wrong enum in status',
      file: 'metal3/09-baremetalhosts.yaml',
      index: 2,
      path: ['status', 'errorType'],
      op: { set: 'bmc error' },
      errors: unsupported('status.errorType', 'bmc error', [
        '',
        'provisioned registration error',
        'registration error',
        'inspection error',
        'preparation error',
        'provisioning error',
        'power management error',
        'detach error',
        'servicing error',
      ]),
    },
    {
      what: 'wrong type',
      file: 'metal3/09-baremetalhosts.yaml',
      path: ['spec', 'online'],
      op: { set: 'true' },
      errors: type('spec.online', 'true', 'boolean'),
    },
    {
      what: 'missing required',
      file: 'metal3/09-baremetalhosts.yaml',
      path: ['spec', 'bmc', 'credentialsName'],
      op: { delete: true },
      errors: required('spec.bmc.credentialsName'),
    },
    {
      what: 'unknown field',
      file: 'metal3/09-baremetalhosts.yaml',
      path: ['spec', 'bmc', 'username'],
      op: { set: 'admin' },
      errors: unknown('spec.bmc.username'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/Metal3DataTemplate': [
    {
      what: 'wrong type',
      file: 'metal3/10-metal3datatemplate.yaml',
      path: ['spec', 'metaData', 'indexes', 0, 'offset'],
      op: { set: '10' },
      errors: type('spec.metaData.indexes[0].offset', '10', 'number'),
    },
    {
      what: 'missing required',
      file: 'metal3/10-metal3datatemplate.yaml',
      path: ['spec', 'networkData', 'links', 'ethernets', 0, 'id'],
      op: { delete: true },
      errors: required('spec.networkData.links.ethernets[0].id'),
    },
    {
      what: 'unknown field',
      file: 'metal3/10-metal3datatemplate.yaml',
      path: ['spec', 'metaData', 'fromHostInterfaces', 0, 'mac'],
      op: { set: 'enp1s0' },
      errors: unknown('spec.metaData.fromHostInterfaces[0].mac'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/Metal3DataClaim': [
    {
      what: 'wrong type',
      file: 'metal3/10-metal3datatemplate.yaml',
      index: 1,
      path: ['spec', 'template', 'name'],
      op: { set: 7 },
      errors: type('spec.template.name', 7, 'string'),
    },
    {
      what: 'missing required',
      file: 'metal3/10-metal3datatemplate.yaml',
      index: 1,
      path: ['spec', 'template'],
      op: { delete: true },
      errors: required('spec.template'),
    },
    {
      what: 'unknown field',
      file: 'metal3/10-metal3datatemplate.yaml',
      index: 1,
      path: ['spec', 'index'],
      op: { set: 0 },
      errors: unknown('spec.index'),
    },
  ],
  'infrastructure.cluster.x-k8s.io/Metal3Data': [
    {
      what: 'wrong type',
      file: 'metal3/10-metal3datatemplate.yaml',
      index: 2,
      path: ['spec', 'index'],
      op: { set: 'zero' },
      errors: type('spec.index', 'zero', 'number'),
    },
    {
      what: 'missing required',
      file: 'metal3/10-metal3datatemplate.yaml',
      index: 2,
      path: ['spec', 'claim'],
      op: { delete: true },
      errors: required('spec.claim'),
    },
    {
      what: 'unknown field',
      file: 'metal3/10-metal3datatemplate.yaml',
      index: 2,
      path: ['status', 'renderedData'],
      op: { set: {} },
      errors: unknown('status.renderedData'),
    },
  ],
  'config.openshift.io/FeatureGate': [
    {
      what: 'wrong enum (the default feature set is "", not "Default")',
      file: 'openshift/01-featuregate.yaml',
      path: ['spec', 'featureSet'],
      op: { set: 'Default' },
      errors: unsupported('spec.featureSet', 'Default', [
        '',
        'TechPreviewNoUpgrade',
        'DevPreviewNoUpgrade',
        'CustomNoUpgrade',
        'OKD',
      ]),
    },
    {
      what: 'wrong type',
      file: 'openshift/01-featuregate.yaml',
      index: 1,
      path: ['spec', 'customNoUpgrade', 'enabled'],
      op: { set: 'ClusterAPIMachineManagement' },
      errors: type('spec.customNoUpgrade.enabled', 'ClusterAPIMachineManagement', 'array'),
    },
    {
      what: 'missing required',
      file: 'openshift/01-featuregate.yaml',
      path: ['status', 'featureGates', 0, 'version'],
      op: { delete: true },
      errors: required('status.featureGates[0].version'),
    },
    {
      what: 'unknown field',
      file: 'openshift/01-featuregate.yaml',
      index: 1,
      path: ['spec', 'customNoUpgrade', 'enable'],
      op: { set: ['X'] },
      errors: unknown('spec.customNoUpgrade.enable'),
    },
  ],
  'config.openshift.io/Infrastructure': [
    {
      what: 'wrong enum (case matters)',
      file: 'openshift/02-infrastructure.yaml',
      index: 5,
      path: ['status', 'platformStatus', 'type'],
      op: { set: 'Baremetal' },
      errors: unsupported('status.platformStatus.type', 'Baremetal', [
        '',
        'AWS',
        'Azure',
        'BareMetal',
        'GCP',
        'Libvirt',
        'OpenStack',
        'None',
        'VSphere',
        'oVirt',
        'IBMCloud',
        'KubeVirt',
        'EquinixMetal',
        'PowerVS',
        'AlibabaCloud',
        'Nutanix',
        'External',
        'Local',
      ]),
    },
    {
      what: 'wrong type',
      file: 'openshift/02-infrastructure.yaml',
      index: 4,
      path: ['spec', 'platformSpec', 'vsphere', 'vcenters', 0, 'port'],
      op: { set: '443' },
      errors: type('spec.platformSpec.vsphere.vcenters[0].port', '443', 'number'),
    },
    {
      what: 'missing required',
      file: 'openshift/02-infrastructure.yaml',
      path: ['status', 'platformStatus', 'aws', 'region'],
      op: { delete: true },
      errors: required('status.platformStatus.aws.region'),
    },
    {
      what: 'unknown field',
      file: 'openshift/02-infrastructure.yaml',
      path: ['status', 'platformStatus', 'aws', 'regionName'],
      op: { set: 'us-east-1' },
      errors: unknown('status.platformStatus.aws.regionName'),
    },
  ],
  'config.openshift.io/ClusterOperator': [
    {
      what: 'wrong enum',
      file: 'openshift/03-clusteroperator.yaml',
      path: ['status', 'conditions', 0, 'status'],
      op: { set: 'true' },
      errors: unsupported('status.conditions[0].status', 'true', CONDITION_STATUS),
    },
    {
      what: 'wrong type',
      file: 'openshift/03-clusteroperator.yaml',
      path: ['status', 'versions'],
      op: { set: '4.22.0' },
      errors: type('status.versions', '4.22.0', 'array'),
    },
    {
      what: 'missing required',
      file: 'openshift/03-clusteroperator.yaml',
      path: ['status', 'relatedObjects', 0, 'resource'],
      op: { delete: true },
      errors: required('status.relatedObjects[0].resource'),
    },
    {
      what: 'unknown field',
      file: 'openshift/03-clusteroperator.yaml',
      path: ['status', 'relatedObjects', 0, 'kind'],
      op: { set: 'Namespace' },
      errors: unknown('status.relatedObjects[0].kind'),
    },
  ],
  'machine.openshift.io/Machine': [
    {
      what: 'wrong enum (Migrating is a status value only)',
      file: 'openshift/05-mapi-machine.yaml',
      path: ['spec', 'authoritativeAPI'],
      op: { set: 'Migrating' },
      errors: unsupported('spec.authoritativeAPI', 'Migrating', ['MachineAPI', 'ClusterAPI']),
    },
    {
      what: 'wrong enum in status',
      file: 'openshift/05-mapi-machine.yaml',
      path: ['status', 'authoritativeAPI'],
      op: { set: 'CAPI' },
      errors: unsupported('status.authoritativeAPI', 'CAPI', ['MachineAPI', 'ClusterAPI', 'Migrating']),
    },
    {
      what: 'wrong type',
      file: 'openshift/05-mapi-machine.yaml',
      path: ['spec', 'providerID'],
      op: { set: 5 },
      errors: type('spec.providerID', 5, 'string'),
    },
    {
      what: 'missing required',
      file: 'openshift/05-mapi-machine.yaml',
      path: ['spec', 'lifecycleHooks', 'preDrain', 0, 'owner'],
      op: { delete: true },
      errors: required('spec.lifecycleHooks.preDrain[0].owner'),
    },
    {
      what: 'unknown field',
      file: 'openshift/05-mapi-machine.yaml',
      path: ['spec', 'lifecycleHooks', 'preDrain', 0, 'timeout'],
      op: { set: '5m' },
      errors: unknown('spec.lifecycleHooks.preDrain[0].timeout'),
    },
  ],
  'machine.openshift.io/MachineSet': [
    {
      what: 'wrong enum',
      file: 'openshift/04-mapi-machineset.yaml',
      path: ['spec', 'deletePolicy'],
      op: { set: 'Smallest' },
      errors: unsupported('spec.deletePolicy', 'Smallest', ['Random', 'Newest', 'Oldest']),
    },
    {
      what: 'wrong type',
      file: 'openshift/04-mapi-machineset.yaml',
      path: ['spec', 'replicas'],
      op: { set: '2' },
      errors: type('spec.replicas', '2', 'number'),
    },
    {
      what: 'missing required',
      file: 'openshift/04-mapi-machineset.yaml',
      path: ['spec', 'selector'],
      op: { delete: true },
      errors: required('spec.selector'),
    },
    {
      what: 'unknown field',
      file: 'openshift/04-mapi-machineset.yaml',
      path: ['spec', 'template', 'spec', 'providerSpec', 'values'],
      op: { set: {} },
      errors: unknown('spec.template.spec.providerSpec.values'),
    },
  ],
};

describe('wrong objects', () => {
  it('has mutations for every kind, covering wrong type, missing required and unknown field', () => {
    for (const def of allKinds) {
      const list = mutations[`${def.group}/${def.kind}`];
      expect(list, `no mutations for ${def.group}/${def.kind}`).toBeDefined();
      const messages = list!.flatMap((m) => m.errors.map((e) => e.message));
      expect(messages.some((m) => m === 'Required value')).toBe(true);
      expect(messages.some((m) => m === 'unknown field')).toBe(true);
      expect(messages.some((m) => / must be of type /.test(m))).toBe(true);
    }
  });

  const cases = Object.entries(mutations).flatMap(([gk, list]) =>
    list.map((m) => [`${gk}: ${m.what} at ${m.errors[0]!.field}`, m] as const),
  );
  it.each(cases)('%s', (_name, m) => {
    const obj = apply(fixture(m.file, m.index), m.path, m.op);
    const r = validateObject(obj);
    expect(r.ok, 'the mutated object must be rejected').toBe(false);
    if (!r.ok) expect(r.errors).toEqual(m.errors);
  });
});

describe('preserved subtrees and version checks', () => {
  it('keeps arbitrary content where upstream preserves unknown fields', () => {
    const bmh = apply(fixture('metal3/09-baremetalhosts.yaml', 1), ['status', 'hardware', 'newInspectorField'], {
      set: { anything: [1, 'two'] },
    });
    expect(validateObject(bmh).ok).toBe(true);
    const m = apply(
      fixture('openshift/05-mapi-machine.yaml'),
      ['spec', 'providerSpec', 'value', 'capacityReservationId'],
      {
        set: 'cr-1',
      },
    );
    expect(validateObject(m).ok).toBe(true);
    const co = apply(fixture('openshift/03-clusteroperator.yaml', 1), ['status', 'extension', 'nested'], {
      set: { deep: true },
    });
    expect(validateObject(co).ok).toBe(true);
  });

  it('names the served versions when the apiVersion is not served', () => {
    const t = fixture('gcp/03-gcpmachinetemplate.yaml');
    t.apiVersion = 'infrastructure.cluster.x-k8s.io/v1beta2';
    expect(validateObject(t)).toEqual({
      ok: false,
      errors: [
        {
          field: 'apiVersion',
          message:
            'Unsupported value: "infrastructure.cluster.x-k8s.io/v1beta2": supported values: "infrastructure.cluster.x-k8s.io/v1beta1"',
        },
      ],
    });
  });

  it('tells a MAPI Machine from a CAPI Machine by group', () => {
    const mapi = fixture('openshift/05-mapi-machine.yaml');
    mapi.apiVersion = 'cluster.x-k8s.io/v1beta1';
    const r = validateObject(mapi);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ field: 'spec.lifecycleHooks', message: 'unknown field' });
  });
});
