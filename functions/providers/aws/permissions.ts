// What the AWS provider's deployed functions may do in the account (serverless.yml's provider role).
import type { AwsPermissions } from '../kit/module.ts';
import { IDENTITY_TAG } from './tags.ts';

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

/**
 * What the AWS provider's calls need: the EC2 actions, tagging at launch (RunInstances carries
 * TagSpecifications), passing an AWSMachine's iamInstanceProfile role to EC2, the Spot service-linked
 * role (spotMarketOptions), and customer KMS keys of encrypted root/extra volumes through EC2 only.
 */
export const awsPermissions: AwsPermissions = {
  actions: EC2_ACTIONS,
  statements: [
    {
      Sid: 'Ec2TagOnLaunch',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    },
    {
      Sid: 'PassInstanceProfileRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      Sid: 'SpotServiceLinkedRole',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: {
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot',
      },
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

/**
 * The drift check's orphan scan: list instances, and terminate only those carrying capi-fn's identity tag (the
 * scan itself deletes only instances carrying this cluster's ownership tag too).
 */
export const awsOrphanScanPermissions: AwsPermissions = {
  actions: ['ec2:DescribeInstances'],
  statements: [
    {
      Sid: 'TerminateOnlyCapiFnInstances',
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: '*',
      Condition: { StringLike: { [`aws:ResourceTag/${IDENTITY_TAG}`]: '*' } },
    },
  ],
};
