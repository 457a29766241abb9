// Each provider's constants without its schemas, for the handlers: importing a value from a schema file runs
// the file's zod (classic API) schema construction at import, which a handler's cold start should not pay.
import { INFRA_GROUP } from '../capi/constants.ts';

// AWS
export const AWS_PROVIDER_ID_PREFIX = 'aws:///';
export const AWSMachineFinalizer = 'awsmachine.infrastructure.cluster.x-k8s.io';

// gcp
/** providerID format: `gce://<project>/<zone>/<instance name>` (providers-aws-gcp-azure.md §3.2). */
export const GCP_PROVIDER_ID_PREFIX = 'gce://';
export const GCPMachineFinalizer = 'gcpmachine.infrastructure.cluster.x-k8s.io';
export const GCPClusterFinalizer = 'gcpcluster.infrastructure.cluster.x-k8s.io';

// azure
/** providerID format: `azure:///subscriptions/<sub>/resourceGroups/<rg-lower>/providers/Microsoft.Compute/virtualMachines/<vm>`. */
export const AZURE_PROVIDER_ID_PREFIX = 'azure://';
export const AzureMachineFinalizer = 'azuremachine.infrastructure.cluster.x-k8s.io';
export const AzureClusterFinalizer = 'azurecluster.infrastructure.cluster.x-k8s.io';

// openstack
/** providerID format: `openstack://<region>/<server id>`; the region is usually empty, hence `openstack:///<id>`. */
export const OPENSTACK_PROVIDER_ID_PREFIX = 'openstack:///';
export const OpenStackMachineFinalizer = 'openstackmachine.infrastructure.cluster.x-k8s.io';
export const OpenStackClusterFinalizer = 'openstackcluster.infrastructure.cluster.x-k8s.io';

// vsphere
/** providerID format: `vsphere://<BIOS UUID>` (providers-openstack-vsphere-metal3.md §2.5). */
export const VSPHERE_PROVIDER_ID_PREFIX = 'vsphere://';
export const VSphereMachineFinalizer = 'vspheremachine.infrastructure.cluster.x-k8s.io';
export const VSphereClusterFinalizer = 'vspherecluster.infrastructure.cluster.x-k8s.io';

// metal3
/** providerID format: `metal3://<namespace>/<bmh name>/<metal3machine name>` (legacy: `metal3://<bmh uid>`). */
export const METAL3_PROVIDER_ID_PREFIX = 'metal3://';
export const Metal3MachineFinalizer = 'metal3machine.infrastructure.cluster.x-k8s.io';
export const Metal3ClusterFinalizer = 'metal3cluster.infrastructure.cluster.x-k8s.io';
export const BMH_GROUP = 'metal3.io';
export const BareMetalHostFinalizer = 'baremetalhost.metal3.io';
/** Annotation on a Metal3Machine naming the host it claimed, `<namespace>/<bmh name>`. */
export const BareMetalHostAnnotation = 'metal3.io/BareMetalHost';

export const BMHAnnotations = {
  paused: 'baremetalhost.metal3.io/paused',
  detached: 'baremetalhost.metal3.io/detached',
  status: 'baremetalhost.metal3.io/status',
  inspect: 'inspect.metal3.io',
  reboot: 'reboot.metal3.io',
  unhealthy: 'capi.metal3.io/unhealthy',
} as const;

/** Value CAPM3 writes into `baremetalhost.metal3.io/paused` when it pauses a host. */
export const CAPM3_PAUSE_VALUE = 'metal3.io/capm3';

// metal3-data
export const Metal3DataTemplateFinalizer = 'metal3datatemplate.infrastructure.cluster.x-k8s.io';
export const METAL3_DATA_API_VERSION = `${INFRA_GROUP}/v1beta1`;

// local
export const LOCAL_PROVIDER_ID_PREFIX = 'local:///';
/** Annotation that makes the simulated cloud refuse to provision the instance (tests, demos). */
export const LOCAL_FAIL_PROVISIONING_ANNOTATION = 'infrastructure.capi-fn.io/fail-provisioning';
