// serverless.yml from the handler declarations: per handler one Lambda, one SQS queue (+ DLQ) and
// one EventBridge rule whose pattern is the bus adapter's own routing rule; a schedule for the drift
// check, for the bounded bridge and for each handler with a schedule of its own (the operator); the
// admission webhooks behind a function URL. `npm run gen:serverless` writes it; a test fails when it is
// stale.
import { stringify } from 'yaml';
import { OPERATOR_HANDLER_NAME } from '../functions/operator/index.ts';
import { providers } from '../functions/providers/index.ts';
import type { AwsPermissions } from '../functions/providers/kit/module.ts';
import { runtimes } from '../functions/providers/runtimes.ts';
import { type CloudFunction, cloudFunctions } from '../functions/registry.ts';
import { WEBHOOKS_FUNCTION_NAME } from '../functions/webhooks/serve.ts';
import { eventBridgeRulesFor, sqsQueueNames } from '../shared/bus/eventbridge-rules.ts';
import { subscriptionOf } from '../shared/runtime/handler.ts';

/** What a function does with its own queue (consume, requeue with delay, extend visibility). */
const QUEUE_ACTIONS = [
  'sqs:SendMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
];

export const BUS_NAME = 'capi-fn';
export const SCHEDULE = 'rate(5 minutes)';
/** Default Lambda timeout (s); SQS visibility is six times the function timeout, as AWS recommends. */
const TIMEOUT_SECONDS = 60;
/**
 * The webhooks' Lambda timeout: the API server waits at most 30 s for a webhook (timeoutSeconds 1–30)
 * and the function answers within the `?timeout=` it is given; this only bounds a hung invocation.
 */
const WEBHOOK_TIMEOUT_SECONDS = 30;
/**
 * The webhooks' reserved concurrency: the public URL cannot eat the account's Lambda concurrency (a flood is
 * throttled here, not everywhere), and admission keeps this much capacity whatever else runs.
 */
export const WEBHOOK_RESERVED_CONCURRENCY = 20;

/** Every function has a role of its own: its queues, its kubeconfig secret, and only the rights its calls need. */
export function functionRoleId(fn: string): string {
  return logicalId(fn, 'FunctionRole');
}

/**
 * The Secrets Manager secret holding a function's kubeconfig (its own Kubernetes identity, infra/rbac/). The
 * template names it; only that function's role may read it; the deployer stores it (README, "Deploying to AWS").
 */
export function kubeconfigSecretName(fn: string): string {
  return `capi-fn/${fn}/kubeconfig`;
}

function logicalId(handler: string, suffix: string): string {
  return `${handler.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}${suffix}`;
}

/** osls' logical id of a function's URL (`<normalised name>LambdaFunctionUrl`). */
export function functionUrlLogicalId(fn: string): string {
  const normalised = fn[0]!.toUpperCase() + fn.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalised}LambdaFunctionUrl`;
}

const ASSUME_BY_LAMBDA = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const BASIC_EXECUTION = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' };

function queueArns(fns: CloudFunction[]): unknown[] {
  return fns.flatMap(({ def }) => [
    { 'Fn::GetAtt': [logicalId(def.name, 'Queue'), 'Arn'] },
    { 'Fn::GetAtt': [logicalId(def.name, 'DeadLetterQueue'), 'Arn'] },
  ]);
}

/** A Lambda role with logs and one inline policy. */
function role(fn: string, statements: unknown[]): Record<string, unknown> {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: ASSUME_BY_LAMBDA,
      ManagedPolicyArns: [BASIC_EXECUTION],
      Policies: [{ PolicyName: `capi-fn-${fn}`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

/** The statements for a permission set: its actions on every resource (under `sid`), then its own statements. */
function permissionStatements(sid: string, p: AwsPermissions): unknown[] {
  return [
    ...(p.actions.length ? [{ Sid: sid, Effect: 'Allow', Action: p.actions, Resource: '*' }] : []),
    ...p.statements,
  ];
}

function ownKubeconfig(fn: string): Record<string, unknown> {
  return {
    Sid: 'OwnKubeconfig',
    Effect: 'Allow',
    Action: 'secretsmanager:GetSecretValue',
    // Secrets Manager appends six random characters to a secret's ARN.
    Resource: {
      'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${kubeconfigSecretName(fn)}-*`,
    },
  };
}

const PUBLISH = {
  Sid: 'Publish',
  Effect: 'Allow',
  Action: ['events:PutEvents'],
  Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
};

/** A handler function's role: its own queue and dead-letter queue, its kubeconfig, and its cloud's rights. */
function handlerRole(f: CloudFunction): Record<string, unknown> {
  const cloud = f.provider ? runtimes[f.provider.name]?.deploy?.aws?.[f.awsExport ?? ''] : undefined;
  return role(f.def.name, [
    { Sid: 'OwnQueues', Effect: 'Allow', Action: QUEUE_ACTIONS, Resource: queueArns([f]) },
    ownKubeconfig(f.def.name),
    // The operator resyncs itself through the bus (its schedule's targeted resync).
    ...(f.def.name === OPERATOR_HANDLER_NAME ? [PUBLISH] : []),
    ...(cloud ? permissionStatements('CloudReads', cloud) : []),
  ]);
}

/** The drift check's role: publish resyncs, its kubeconfig, and each deployed provider's orphan scan. */
function driftRole(): Record<string, unknown> {
  const scans = providers.flatMap((p) => {
    const scan = runtimes[p.name]?.deploy?.awsOrphanScan;
    return scan ? permissionStatements(`${p.name[0]!.toUpperCase()}${p.name.slice(1)}OrphanScan`, scan) : [];
  });
  return role('drift', [PUBLISH, ownKubeconfig('drift'), ...scans]);
}

/** Where serverless-esbuild writes an entry's chunks: beside the entry, in this folder. */
const CHUNK_DIR = 'chunks';

/**
 * serverless-esbuild zips every built file into each function's package except the other entries, so each function
 * names its own folder's chunks and leaves out the other folders'.
 */
function withOwnChunks(functions: Record<string, unknown>): void {
  const dirOf = (f: unknown) => ((f as { handler: string }).handler.match(/^(.*)\/[^/]+$/) ?? [])[1]!;
  const dirs = [...new Set(Object.values(functions).map(dirOf))].sort();
  for (const f of Object.values(functions) as Array<Record<string, unknown>>) {
    const own = dirOf(f);
    f.package = {
      patterns: [`${own}/${CHUNK_DIR}/**`, ...dirs.filter((d) => d !== own).map((d) => `!${d}/${CHUNK_DIR}/**`)],
    };
  }
}

export function serverlessConfig(): Record<string, unknown> {
  const functions: Record<string, unknown> = {};
  const resources: Record<string, unknown> = {
    EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: BUS_NAME } },
  };
  for (const f of cloudFunctions) {
    const { dir, def } = f;
    const q = sqsQueueNames(def.name);
    const queueId = logicalId(def.name, 'Queue');
    const dlqId = logicalId(def.name, 'DeadLetterQueue');
    // The first rule keeps the id it always had, so a stack that had one rule updates it in place.
    const rules = eventBridgeRulesFor(subscriptionOf(def), BUS_NAME).map((rule, i) => ({
      rule,
      id: logicalId(def.name, i === 0 ? 'Rule' : `Rule${i + 1}`),
    }));
    const sqs: Record<string, unknown> = {
      arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      batchSize: 10,
      functionResponseType: 'ReportBatchItemFailures',
    };
    if (f.singleton) {
      // An SQS event source's maximum concurrency cannot go below 2, so reserved concurrency alone keeps
      // it at one and throttled batches return to the queue. Gathering a burst (an install writes many
      // objects it watches) into one batch means fewer throttles.
      sqs.maximumBatchingWindow = 10;
    } else {
      // Bounded concurrency, like a controller's MaxConcurrentReconciles (serverless-anchors §4.1).
      sqs.maximumConcurrency = 50;
      if (f.gatherSeconds) {
        // A fan-in handler: a batch reconciles each object once, so larger batches mean fewer runs (a batch over 10
        // records needs a batching window of at least 1 s).
        sqs.maximumBatchingWindow = Math.max(1, f.gatherSeconds);
        sqs.batchSize = 100;
      }
    }
    const environment: Record<string, unknown> = {
      CAPI_FN_QUEUE_URL: { Ref: queueId },
      CAPI_FN_DLQ_URL: { Ref: dlqId },
      CAPI_FN_KUBECONFIG_SECRET: kubeconfigSecretName(def.name),
    };
    if (def.name === OPERATOR_HANDLER_NAME) {
      // The operator registers the webhook configurations at this stack's webhook URL (a public Amazon
      // certificate: no caBundle).
      environment.CAPI_FN_WEBHOOK_URL = { 'Fn::GetAtt': [functionUrlLogicalId(WEBHOOKS_FUNCTION_NAME), 'FunctionUrl'] };
    }
    functions[def.name] = {
      handler: `functions/${dir}/lambda.${f.awsExport ?? 'handler'}`,
      description: `capi-fn ${def.name} handler (reconciles ${def.reconciles.kind})`,
      role: functionRoleId(def.name),
      ...(f.singleton ? { reservedConcurrency: 1 } : {}),
      environment,
      events: [{ sqs }, ...(f.ownSchedule ? [{ schedule: SCHEDULE }] : [])],
    };
    resources[dlqId] = {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: q.deadLetterQueue, MessageRetentionPeriod: 1_209_600 },
    };
    resources[queueId] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: q.queue,
        VisibilityTimeout: 6 * TIMEOUT_SECONDS,
        // A singleton's throttled receives count too; its events are hints its own schedule repeats.
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
          maxReceiveCount: f.singleton ? 30 : 10,
        },
      },
    };
    for (const [i, { rule, id }] of rules.entries()) {
      resources[id] = {
        Type: 'AWS::Events::Rule',
        // The first rule narrows only after the rules taking its alternatives exist (a pattern shared out anew).
        ...(i === 0 && rules.length > 1 ? { DependsOn: rules.slice(1).map((r) => r.id) } : {}),
        Properties: {
          Name: rule.Name,
          Description: rule.Description,
          EventBusName: { Ref: 'EventBus' },
          EventPattern: rule.EventPattern,
          Targets: [{ Id: def.name, Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }],
        },
      };
    }
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
              Condition: {
                ArnEquals: {
                  'aws:SourceArn':
                    rules.length === 1
                      ? { 'Fn::GetAtt': [rules[0]!.id, 'Arn'] }
                      : rules.map(({ id }) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
                },
              },
            },
          ],
        },
      },
    };
  }
  for (const f of cloudFunctions) resources[functionRoleId(f.def.name)] = handlerRole(f);
  functions.drift = {
    handler: 'functions/drift/lambda.handler',
    description:
      'capi-fn drift check: resync of every object the handlers watch (the operator has its own), and the orphan scan',
    timeout: 300,
    role: functionRoleId('drift'),
    environment: {
      CAPI_FN_KUBECONFIG_SECRET: kubeconfigSecretName('drift'),
      CAPI_FN_ORPHANS: "${env:CAPI_FN_ORPHANS, 'report'}",
      CAPI_FN_ORPHAN_GRACE: "${env:CAPI_FN_ORPHAN_GRACE, '10m'}",
    },
    events: [{ schedule: SCHEDULE }],
  };
  resources[functionRoleId('drift')] = driftRole();
  functions.bridge = {
    handler: 'functions/bridge/lambda.handler',
    description:
      'capi-fn watch bridge, bounded: watches until shortly before its deadline, resumes from the in-cluster checkpoint',
    timeout: 300,
    reservedConcurrency: 1,
    role: functionRoleId('bridge'),
    environment: { CAPI_FN_KUBECONFIG_SECRET: kubeconfigSecretName('bridge') },
    events: [{ schedule: SCHEDULE }],
  };
  resources[functionRoleId('bridge')] = role('bridge', [PUBLISH, ownKubeconfig('bridge')]);
  // The API server cannot sign requests (SigV4) nor add headers, so the URL is unauthenticated at the AWS
  // level; the function has no side effects, and its role reads only its own kubeconfig.
  functions[WEBHOOKS_FUNCTION_NAME] = {
    handler: 'functions/webhooks/lambda.handler',
    description:
      'capi-fn admission webhooks: POST /<token>/mutate (defaulting) and /<token>/validate, behind a function URL',
    timeout: WEBHOOK_TIMEOUT_SECONDS,
    reservedConcurrency: WEBHOOK_RESERVED_CONCURRENCY,
    role: functionRoleId(WEBHOOKS_FUNCTION_NAME),
    environment: { CAPI_FN_KUBECONFIG_SECRET: kubeconfigSecretName(WEBHOOKS_FUNCTION_NAME) },
    url: true,
  };
  resources[functionRoleId(WEBHOOKS_FUNCTION_NAME)] = role(WEBHOOKS_FUNCTION_NAME, [
    ownKubeconfig(WEBHOOKS_FUNCTION_NAME),
  ]);
  withOwnChunks(functions);
  return {
    service: 'capi-fn',
    frameworkVersion: '4',
    provider: {
      name: 'aws',
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      memorySize: 512,
      timeout: TIMEOUT_SECONDS,
      region: "${opt:region, env:AWS_REGION, 'us-east-1'}",
      logRetentionInDays: 14,
      // Nothing secret here: each function reads its kubeconfig from its own Secrets Manager secret.
      environment: {
        CAPI_FN_EVENT_BUS: BUS_NAME,
        CAPI_FN_SOURCE: "${env:CAPI_FN_SOURCE, 'capi-fn'}",
      },
    },
    plugins: ['serverless-esbuild'],
    custom: {
      esbuild: {
        bundle: true,
        // As scripts/build.ts bundles (and the cold-start bench measures): minified, names kept.
        minify: true,
        sourcemap: false,
        keepNames: true,
        format: 'esm',
        outputFileExtension: '.mjs',
        platform: 'node',
        target: 'node22',
        // The nodejs22.x runtime ships AWS SDK v3; bundling it brings no cold-start gain.
        exclude: ['@aws-sdk/*'],
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
        // Built-ins served without their lazy getters (scripts/lazy-builtins.ts): ~15 ms off every cold start.
        plugins: 'scripts/esbuild-plugins.ts',
        // A cloud SDK behind `import()` goes into chunks beside its entry, parsed only when first used.
        splitting: true,
        chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
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
