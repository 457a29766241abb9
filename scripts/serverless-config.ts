// serverless.yml from the handler declarations: per handler one Lambda, one SQS queue (+ DLQ) and
// one EventBridge rule whose pattern is the bus adapter's own routing rule; a schedule for the drift
// check and for the bounded bridge. `npm run gen:serverless` writes it; a test fails when it is stale.
import { stringify } from 'yaml';
import { cloudFunctions } from '../functions/registry.ts';
import { eventBridgeRuleFor, sqsQueueNames } from '../shared/bus/eventbridge-rules.ts';
import { subscriptionOf } from '../shared/runtime/handler.ts';

export const BUS_NAME = 'capi-fn';

function logicalId(handler: string, suffix: string): string {
  return `${handler.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}${suffix}`;
}

export function serverlessConfig(): Record<string, unknown> {
  const functions: Record<string, unknown> = {};
  const resources: Record<string, unknown> = {
    EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: BUS_NAME } },
  };
  for (const { dir, def } of cloudFunctions) {
    const q = sqsQueueNames(def.name);
    const queueId = logicalId(def.name, 'Queue');
    const dlqId = logicalId(def.name, 'DeadLetterQueue');
    const ruleId = logicalId(def.name, 'Rule');
    const rule = eventBridgeRuleFor(subscriptionOf(def), BUS_NAME);
    functions[def.name] = {
      handler: `functions/${dir}/aws.handler`,
      description: `capi-fn ${def.name} handler (reconciles ${def.reconciles.kind})`,
      environment: {
        CAPI_FN_QUEUE_URL: { Ref: queueId },
        CAPI_FN_DLQ_URL: { Ref: dlqId },
      },
      events: [
        {
          sqs: {
            arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
            batchSize: 10,
            functionResponseType: 'ReportBatchItemFailures',
            // Bounded concurrency, like a controller's MaxConcurrentReconciles (serverless-anchors §4.1).
            maximumConcurrency: 50,
          },
        },
      ],
    };
    resources[dlqId] = {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: q.deadLetterQueue, MessageRetentionPeriod: 1_209_600 },
    };
    resources[queueId] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: q.queue,
        // Six times the function timeout, as AWS recommends for SQS event sources.
        VisibilityTimeout: 360,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 10 },
      },
    };
    resources[ruleId] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: rule.Name,
        Description: rule.Description,
        EventBusName: { Ref: 'EventBus' },
        EventPattern: rule.EventPattern,
        Targets: [{ Id: def.name, Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }],
      },
    };
    resources[logicalId(def.name, 'QueuePolicy')] = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
            },
          ],
        },
      },
    };
  }
  functions.drift = {
    handler: 'functions/drift/aws.handler',
    description: 'capi-fn drift check: resync of every watched object',
    timeout: 300,
    events: [{ schedule: 'rate(5 minutes)' }],
  };
  functions.bridge = {
    handler: 'functions/bridge/aws.handler',
    description:
      'capi-fn watch bridge, bounded: watches until shortly before its deadline, resumes from the in-cluster checkpoint',
    timeout: 300,
    reservedConcurrency: 1,
    events: [{ schedule: 'rate(5 minutes)' }],
  };
  return {
    service: 'capi-fn',
    frameworkVersion: '4',
    provider: {
      name: 'aws',
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      memorySize: 512,
      timeout: 60,
      region: "${opt:region, env:AWS_REGION, 'us-east-1'}",
      logRetentionInDays: 14,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        CAPI_FN_EVENT_BUS: BUS_NAME,
        // How the functions reach the cluster: a kubeconfig (base64) from the deployer's environment.
        CAPI_FN_KUBECONFIG_DATA: "${env:CAPI_FN_KUBECONFIG_DATA, ''}",
        CAPI_FN_SOURCE: "${env:CAPI_FN_SOURCE, 'capi-fn'}",
      },
      iam: {
        role: {
          statements: [
            { Effect: 'Allow', Action: ['events:PutEvents'], Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] } },
            {
              Effect: 'Allow',
              Action: [
                'sqs:SendMessage',
                'sqs:ChangeMessageVisibility',
                'sqs:ReceiveMessage',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
              ],
              Resource: { 'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:capifn-*' },
            },
          ],
        },
      },
    },
    plugins: ['serverless-esbuild'],
    custom: {
      esbuild: {
        bundle: true,
        minify: false,
        sourcemap: false,
        keepNames: true,
        format: 'esm',
        outputFileExtension: '.mjs',
        platform: 'node',
        target: 'node22',
        // The nodejs22.x runtime ships AWS SDK v3; bundling it brings no cold-start gain.
        exclude: ['@aws-sdk/*'],
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      },
    },
    package: { individually: true },
    functions,
    resources: { Resources: resources },
  };
}

export function renderServerlessYaml(): string {
  return `# Generated by \`npm run gen:serverless\` from the handler declarations (functions/registry.ts).\n# Package offline with \`npx osls package\` (the osls distribution of the Serverless Framework).\n${stringify(serverlessConfig(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
