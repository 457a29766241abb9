// What the AWS provider's deployed functions may do in the account. Scoped so that capi-fn cannot be made a
// confused deputy (the security audit's finding 2): instances are launched only with this cluster's name tag
// and capi-fn's identity tag, terminated only when they carry both, and only the cluster's own roles can be
// passed to an instance. `${env:CAPI_FN_CLUSTER_NAME}` is the cluster ID (OpenShift's infrastructure name),
// given at deployment; it is compared as a tag *value* (`capi-fn.io/cluster-name`), since neither the
// framework nor CloudFormation can put a variable into a condition key such as CAPA's `…/cluster/<name>`.
import type { AwsPermissions } from '../kit/module.ts';
import { CLUSTER_NAME_TAG, IDENTITY_TAG } from './tags.ts';

/** The EC2 calls cloud.ts makes (test/deploy checks the list against the code). */
export const EC2_ACTIONS = [
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeImages',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeInstances',
  'ec2:DescribeRegions',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'ec2:RunInstances',
  'ec2:TerminateInstances',
];

const DESCRIBES = EC2_ACTIONS.filter((a) => a.startsWith('ec2:Describe'));
/** What the AWSCluster handler reads (region, zones, VPC, subnets). */
const CLUSTER_DESCRIBES = [
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeRegions',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];

export const CLUSTER_NAME_PARAM = '${env:CAPI_FN_CLUSTER_NAME}';
const partition = (arn: string) => ({ 'Fn::Sub': arn.replace('arn:aws:', 'arn:${AWS::Partition}:') });

/** The resources RunInstances touches besides the instance itself (used as they are, never created untagged). */
const LAUNCH_INPUTS = [
  'arn:aws:ec2:*::image/*',
  'arn:aws:ec2:*::snapshot/*',
  ...[
    'subnet',
    'security-group',
    'network-interface',
    'volume',
    'key-pair',
    'placement-group',
    'capacity-reservation',
    'dedicated-host',
  ].map((t) => `arn:aws:ec2:*:\${AWS::AccountId}:${t}/*`),
].map(partition);

export const awsMachinePermissions: AwsPermissions = {
  actions: DESCRIBES,
  statements: [
    {
      Sid: 'LaunchOnlyTaggedForThisCluster',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: partition('arn:aws:ec2:*:${AWS::AccountId}:instance/*'),
      Condition: {
        StringEquals: { [`aws:RequestTag/${CLUSTER_NAME_TAG}`]: CLUSTER_NAME_PARAM },
        StringLike: { [`aws:RequestTag/${IDENTITY_TAG}`]: '*' },
      },
    },
    { Sid: 'LaunchInputs', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: LAUNCH_INPUTS },
    {
      Sid: 'TerminateOnlyThisClustersInstances',
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: partition('arn:aws:ec2:*:${AWS::AccountId}:instance/*'),
      Condition: {
        StringEquals: { [`ec2:ResourceTag/${CLUSTER_NAME_TAG}`]: CLUSTER_NAME_PARAM },
        StringLike: { [`ec2:ResourceTag/${IDENTITY_TAG}`]: '*' },
      },
    },
    {
      Sid: 'TagOnLaunchOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    },
    {
      // OpenShift's instance profiles use the roles `<cluster>-worker-role` / `<cluster>-master-role`.
      Sid: 'PassOnlyThisClustersRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: partition(`arn:aws:iam::\${AWS::AccountId}:role/${CLUSTER_NAME_PARAM}-*`),
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      Sid: 'SpotServiceLinkedRole',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: partition(
        'arn:aws:iam::${AWS::AccountId}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot',
      ),
      Condition: { StringLike: { 'iam:AWSServiceName': 'spot.amazonaws.com' } },
    },
    {
      Sid: 'VolumeKeysThroughEc2',
      Effect: 'Allow',
      Action: [
        'kms:CreateGrant',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncrypt*',
      ],
      Resource: '*',
      Condition: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
    },
  ],
};

export const awsClusterPermissions: AwsPermissions = { actions: CLUSTER_DESCRIBES, statements: [] };

/**
 * The drift check's orphan scan: list instances, and terminate only those carrying this cluster's ownership tag
 * and capi-fn's identity tag (the scan itself deletes only what it listed as carrying both).
 */
export const awsOrphanScanPermissions: AwsPermissions = {
  actions: ['ec2:DescribeInstances'],
  statements: [
    {
      Sid: 'TerminateOnlyThisClustersOrphans',
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: partition('arn:aws:ec2:*:${AWS::AccountId}:instance/*'),
      Condition: {
        StringEquals: { [`ec2:ResourceTag/${CLUSTER_NAME_TAG}`]: CLUSTER_NAME_PARAM },
        StringLike: { [`ec2:ResourceTag/${IDENTITY_TAG}`]: '*' },
      },
    },
  ],
};
