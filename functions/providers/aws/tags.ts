// The tag set every instance and volume gets (CAPA `infrav1.Build` + `WithCloudProvider` +
// `WithMachineName`, reference §2.7) plus capi-fn's identity tag, which is what makes a create
// idempotent on moto: the lookup by this tag runs before every RunInstances (DESIGN.md rule 4).
import type { Filter, Tag, TagSpecification } from '@aws-sdk/client-ec2';

/** The Machine UID the instance was launched for. One Machine, one instance carrying it. */
export const IDENTITY_TAG = 'capi-fn.io/machine-uid';
/**
 * The cluster's name under a fixed key: IAM conditions cannot name CAPA's per-cluster key
 * (`…/cluster/<name>`) without knowing it when the policy is written, but can compare this value.
 */
export const CLUSTER_NAME_TAG = 'capi-fn.io/cluster-name';
export const CAPA_CLUSTER_TAG_PREFIX = 'sigs.k8s.io/cluster-api-provider-aws/cluster/';
export const CAPA_ROLE_TAG = 'sigs.k8s.io/cluster-api-provider-aws/role';
export const CLOUD_PROVIDER_CLUSTER_TAG_PREFIX = 'kubernetes.io/cluster/';
export const MACHINE_NAME_TAG = 'MachineName';

/** EC2 limits: 50 tags per resource, keys ≤128 and values ≤256 characters, `aws:` reserved. */
export const MAX_TAGS = 50;

/** Instance states in which an instance still stands for its Machine (found → never launch another). */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;
/** Everything but terminated: what deletion must still wait for. */
export const NOT_TERMINATED_STATES = [...LIVE_STATES, 'shutting-down'] as const;

export interface TagInput {
  clusterName: string;
  /** AWSMachine name: the `Name` tag (the console's instance name). */
  awsMachineName: string;
  namespace: string;
  machineName: string;
  machineUid: string;
  role: 'node' | 'control-plane';
  clusterAdditionalTags?: Record<string, string> | undefined;
  machineAdditionalTags?: Record<string, string> | undefined;
}

export interface TagResult {
  tags: Record<string, string>;
  /** Why the user tags cannot be applied; empty when they can. */
  problems: string[];
}

/**
 * AWSCluster additionalTags, overlaid by AWSMachine additionalTags, overlaid by the tags the provider
 * relies on (ownership, role, Name, MachineName, identity): as upstream, a user tag never replaces them.
 */
export function machineTags(i: TagInput): TagResult {
  const user = { ...(i.clusterAdditionalTags ?? {}), ...(i.machineAdditionalTags ?? {}) };
  const problems: string[] = [];
  for (const [k, v] of Object.entries(user)) {
    if (k.toLowerCase().startsWith('aws:')) problems.push(`tag key "${k}" uses the reserved "aws:" prefix`);
    if (k.length === 0 || k.length > 128) problems.push(`tag key "${k}" must be 1-128 characters`);
    if (v.length > 256) problems.push(`tag "${k}" has a value longer than 256 characters`);
  }
  const tags: Record<string, string> = {
    ...user,
    [`${CLOUD_PROVIDER_CLUSTER_TAG_PREFIX}${i.clusterName}`]: 'owned',
    [`${CAPA_CLUSTER_TAG_PREFIX}${i.clusterName}`]: 'owned',
    [CAPA_ROLE_TAG]: i.role,
    Name: i.awsMachineName,
    [MACHINE_NAME_TAG]: `${i.namespace}/${i.machineName}`,
    [IDENTITY_TAG]: i.machineUid,
    [CLUSTER_NAME_TAG]: i.clusterName,
  };
  if (Object.keys(tags).length > MAX_TAGS) {
    problems.push(
      `${Object.keys(tags).length} tags exceed EC2's limit of ${MAX_TAGS} per resource (additionalTags on the AWSCluster and AWSMachine)`,
    );
  }
  return { tags, problems };
}

/** Sorted by key (upstream does the same), so the request for a Machine is always byte-identical. */
export function toTagList(tags: Record<string, string>): Tag[] {
  return Object.keys(tags)
    .sort()
    .map((Key) => ({ Key, Value: tags[Key]! }));
}

export function tagSpecifications(
  tags: Record<string, string>,
  resourceTypes: Array<NonNullable<TagSpecification['ResourceType']>>,
): TagSpecification[] {
  const list = toTagList(tags);
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags: list }));
}

/** DescribeInstances filters for "the instances carrying this Machine's identity" in the given states. */
export function identityFilters(machineUid: string, states: readonly string[]): Filter[] {
  return [
    { Name: `tag:${IDENTITY_TAG}`, Values: [machineUid] },
    { Name: 'instance-state-name', Values: [...states] },
  ];
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}
