// serverless.yml is generated from the handler declarations, kept current, and packages offline with
// osls (no login, no credentials), producing one function, queue, DLQ and rule per handler whose
// event pattern is the bus adapter's own routing rule; schedules for the drift check, the bridge and the
// operator; the operator alone at reserved concurrency 1 among the handlers; EC2 rights only on the AWS
// provider's role; and the webhooks behind an unauthenticated function URL the operator registers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_HANDLER_NAME } from '../../functions/operator/index.ts';
import { EC2_ACTIONS } from '../../functions/providers/aws/permissions.ts';
import { cloudFunctions } from '../../functions/registry.ts';
import { functionRoleId, kubeconfigSecretName, renderServerlessYaml } from '../../scripts/serverless-config.ts';
import { eventBridgePatternsFor } from '../../shared/bus/eventbridge-rules.ts';
import { subscriptionOf } from '../../shared/runtime/handler.ts';
import { type CfnResource, oslsPackage } from '../support/osls-package.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** EventBridge's default event pattern size quota (adjustable up to 4096). */
const DEFAULT_PATTERN_QUOTA = 2048;

type Resource = CfnResource;
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** osls' logical id of a function (`<name with - as Dash, first letter upper>LambdaFunction`). */
const fnId = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1).replace(/-/g, 'Dash')}LambdaFunction`;
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** The logical id prefix of a handler's queues (`aws-machine` → `AwsMachine`). */
const fnLogical = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
const CLUSTER = 'ocp-aws-7xk2p';
/** Each function's handler from osls' packaged service state (serverless-state.json in .serverless). */
const PRINT_FUNCTIONS =
  "import json; s = json.load(open('serverless-state.json')); print(json.dumps({k: v['handler'] for k, v in s['service']['functions'].items()}))";
const CANARY = 'CANARYSECRET0123456789';

/** The EC2 operations the provider's cloud port calls, read from its source. */
function ec2CallsInCode(): string[] {
  const src = readFileSync(join(ROOT, 'functions/providers/aws/cloud.ts'), 'utf8');
  const ops = new Set<string>();
  for (const m of src.matchAll(/\b(\w+)Command\(/g)) ops.add(`ec2:${m[1]}`);
  for (const m of src.matchAll(/\bpaginate(\w+)\(/g)) ops.add(`ec2:${m[1]}`);
  return [...ops].sort();
}

describe('serverless.yml', () => {
  it('is up to date with the handler declarations', () => {
    expect(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), 'run `npm run gen:serverless`').toBe(
      renderServerlessYaml(),
    );
  });

  it('grants the AWS provider exactly the EC2 operations its code calls', () => {
    const calls = ec2CallsInCode();
    expect(calls.length).toBeGreaterThan(5);
    expect([...EC2_ACTIONS].sort()).toEqual(calls);
  });

  it('keeps every rule pattern within the default EventBridge quota', () => {
    for (const { def } of cloudFunctions)
      for (const pattern of eventBridgePatternsFor(subscriptionOf(def)))
        expect(JSON.stringify(pattern).length, def.name).toBeLessThanOrEqual(DEFAULT_PATTERN_QUOTA);
  });

  describe('packaged offline with osls', () => {
    let out: string;
    let resources: Record<string, Resource>;
    let templateText: string;
    let outputs: Record<string, { Value: unknown }>;
    const byType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);

    beforeAll(async () => {
      ({ out, templateText, resources, outputs } = await oslsPackage({
        CAPI_FN_CLUSTER_NAME: CLUSTER,
        // What earlier versions put into every function's environment, and credentials in general.
        CAPI_FN_KUBECONFIG_DATA: CANARY,
        CAPI_FN_KUBECONFIG: CANARY,
        AWS_SECRET_ACCESS_KEY: CANARY,
        AZURE_CLIENT_SECRET: CANARY,
      }));
    }, 240_000);

    it('has one Lambda, queue, DLQ and event source per handler, and its rules with the routing rule as pattern', () => {
      expect(byType('AWS::Events::EventBus')).toHaveLength(1);
      const rules = byType('AWS::Events::Rule')
        .map(([id, r]) => ({ id, r }))
        .filter(({ r }) => r.Properties.EventPattern);
      let expected = 0;
      for (const { def } of cloudFunctions) {
        const patterns = eventBridgePatternsFor(subscriptionOf(def));
        expected += patterns.length;
        const ruleIds: string[] = [];
        let queueId: string | undefined;
        patterns.forEach((pattern, i) => {
          const name = i === 0 ? `capifn-${def.name}` : `capifn-${def.name}-${i + 1}`;
          const rule = rules.find(({ r }) => r.Properties.Name === name);
          expect(rule, name).toBeDefined();
          expect(rule!.r.Properties.EventPattern).toEqual(pattern);
          const targets = rule!.r.Properties.Targets as { Id: string; Arn: { 'Fn::GetAtt': [string, string] } }[];
          expect(targets.map((t) => t.Id)).toEqual([def.name]);
          queueId ??= targets[0]!.Arn['Fn::GetAtt'][0];
          expect(targets[0]!.Arn).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
          expect(resources[queueId]?.Type).toBe('AWS::SQS::Queue');
          ruleIds.push(rule!.id);
        });
        // The queue takes messages from exactly these rules.
        const policy = Object.values(resources).find(
          (r) =>
            r.Type === 'AWS::SQS::QueuePolicy' &&
            JSON.stringify(r.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
        );
        const source = (policy?.Properties.PolicyDocument as { Statement: { Condition: unknown }[] } | undefined)
          ?.Statement[0]?.Condition;
        const arns = ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
        expect(source, def.name).toEqual({ ArnEquals: { 'aws:SourceArn': arns.length === 1 ? arns[0] : arns } });
        expect(resources[fnId(def.name)], def.name).toBeDefined();
      }
      expect(rules).toHaveLength(expected);
      expect(byType('AWS::SQS::Queue')).toHaveLength(cloudFunctions.length * 2);
      expect(byType('AWS::Lambda::EventSourceMapping')).toHaveLength(cloudFunctions.length);
      expect(cloudFunctions.map((f) => f.def.name)).toEqual(
        expect.arrayContaining(['aws-cluster', 'aws-machine', OPERATOR_HANDLER_NAME]),
      );
    });

    it('schedules the drift check, the bridge and the operator every 5 minutes', () => {
      const schedules = byType('AWS::Events::Rule')
        .map(([, r]) => r)
        .filter((r) => r.Properties.ScheduleExpression);
      const targets = schedules.map((r) => {
        expect(r.Properties.ScheduleExpression).toBe('rate(5 minutes)');
        return ((r.Properties.Targets as Array<{ Arn: unknown }>)[0]!.Arn as { 'Fn::GetAtt': string[] })[
          'Fn::GetAtt'
        ][0];
      });
      expect(targets.sort()).toEqual([fnId('bridge'), fnId(OPERATOR_HANDLER_NAME), fnId('drift')].sort());
    });

    it('runs the operator and the bridge at reserved concurrency 1, caps the webhooks, and bounds the others by their event source', () => {
      const reserved = byType('AWS::Lambda::Function')
        .filter(([, r]) => r.Properties.ReservedConcurrentExecutions !== undefined)
        .map(([id, r]) => [id, r.Properties.ReservedConcurrentExecutions]);
      expect(reserved.sort()).toEqual([
        [fnId('bridge'), 1],
        [fnId(OPERATOR_HANDLER_NAME), 1],
        // The public webhook URL is capped, so a flood cannot take the account's concurrency.
        [fnId('webhooks'), 20],
      ]);
      for (const [, esm] of byType('AWS::Lambda::EventSourceMapping')) {
        const fn = (esm.Properties.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
        // Without it Lambda ignores the handler's batchItemFailures and a failed record redelivers the whole batch.
        expect(esm.Properties.FunctionResponseTypes, fn).toEqual(['ReportBatchItemFailures']);
        // An SQS event source cannot go below 2; the singleton relies on reserved concurrency alone.
        if (fn === fnId(OPERATOR_HANDLER_NAME)) expect(esm.Properties.ScalingConfig, fn).toBeUndefined();
        else expect(esm.Properties.ScalingConfig, fn).toEqual({ MaximumConcurrency: 50 });
        // The MachineSet's events are mostly its Machines': gathered into batches that reconcile it once.
        if (fn === fnId('machineset')) {
          expect(esm.Properties.MaximumBatchingWindowInSeconds, fn).toBe(1);
          expect(esm.Properties.BatchSize, fn).toBe(100);
        } else if (fn !== fnId(OPERATOR_HANDLER_NAME)) {
          expect(esm.Properties.MaximumBatchingWindowInSeconds, fn).toBeUndefined();
        }
      }
    });

    it('serves the webhooks on an unauthenticated function URL that the operator registers', () => {
      const urls = byType('AWS::Lambda::Url');
      expect(urls).toHaveLength(1);
      const [urlId, url] = urls[0]!;
      expect(url.Properties.AuthType).toBe('NONE');
      expect(url.Properties.TargetFunctionArn).toEqual(arnOf(fnId('webhooks')));
      const perms = byType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
      expect(perms).toContainEqual(
        expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }),
      );
      expect(perms).toContainEqual(
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true }),
      );
      const operatorEnv = (
        resources[fnId(OPERATOR_HANDLER_NAME)]!.Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(operatorEnv.CAPI_FN_WEBHOOK_URL).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
      expect(Object.values(outputs).map((o) => o.Value)).toContainEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
      const webhooks = resources[fnId('webhooks')]!.Properties;
      expect(webhooks.Timeout).toBe(30);
      expect(webhooks.Role).toEqual(arnOf(functionRoleId('webhooks')));
    });

    const policyOf = (roleId: string): Statement[] =>
      (resources[roleId]!.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>)[0]!
        .PolicyDocument.Statement;
    const allFunctions = () => [...cloudFunctions.map((f) => f.def.name), 'drift', 'bridge', 'webhooks'];

    it('gives every function a role of its own, reading only its own kubeconfig secret, and nothing secret in the template', () => {
      for (const fn of allFunctions()) {
        const props = resources[fnId(fn)]!.Properties;
        expect(props.Role, fn).toEqual(arnOf(functionRoleId(fn)));
        const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(env.CAPI_FN_KUBECONFIG_SECRET, fn).toBe(kubeconfigSecretName(fn));
        expect(env.CAPI_FN_KUBECONFIG_DATA, fn).toBeUndefined();
        const reads = policyOf(functionRoleId(fn)).filter((st) =>
          actions(st).includes('secretsmanager:GetSecretValue'),
        );
        expect(
          reads.map((st) => JSON.stringify(st.Resource)),
          fn,
        ).toEqual([
          JSON.stringify({
            'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:capi-fn/${fn}/kubeconfig-*`,
          }),
        ]);
      }
      // Canary values in every variable a deployer might set: none reaches the packaged template.
      expect(templateText).not.toContain(CANARY);
    });

    it('lets a handler use only its own queues, and only the bridge, the drift check and the operator publish', () => {
      for (const { def } of cloudFunctions) {
        const queues = policyOf(functionRoleId(def.name)).filter((st) => actions(st).includes('sqs:ReceiveMessage'));
        expect(
          queues.flatMap((st) => (st.Resource as Array<{ 'Fn::GetAtt': string[] }>).map((r) => r['Fn::GetAtt'][0])),
          def.name,
        ).toEqual([`${fnLogical(def.name)}Queue`, `${fnLogical(def.name)}DeadLetterQueue`]);
      }
      const publishers = allFunctions().filter((fn) =>
        policyOf(functionRoleId(fn)).some((st) => actions(st).includes('events:PutEvents')),
      );
      expect(publishers.sort()).toEqual(['bridge', 'cluster-capi-operator', 'drift']);
    });

    it('scopes EC2 to the AWS functions and the drift scan, with this cluster’s tags as conditions', () => {
      const ec2Holders = byType('AWS::IAM::Role')
        .filter(([id]) => policyOf(id).some((st) => actions(st).some((a) => a.startsWith('ec2:'))))
        .map(([id]) => id);
      expect(ec2Holders.sort()).toEqual(['aws-cluster', 'aws-machine', 'drift'].map(functionRoleId).sort());
      // The AWSCluster handler only reads.
      expect(
        policyOf(functionRoleId('aws-cluster'))
          .flatMap(actions)
          .filter((a) => a.startsWith('ec2:'))
          .every((a) => a.startsWith('ec2:Describe')),
      ).toBe(true);
      const machine = policyOf(functionRoleId('aws-machine'));
      const granted = new Set(machine.flatMap(actions));
      for (const a of [...ec2CallsInCode(), 'ec2:CreateTags', 'iam:PassRole', 'sqs:ReceiveMessage'])
        expect(granted.has(a), a).toBe(true);

      const launch = machine.find((st) => st.Sid === 'LaunchOnlyTaggedForThisCluster')!;
      expect(launch.Condition).toEqual({
        StringEquals: { 'aws:RequestTag/capi-fn.io/cluster-name': CLUSTER },
        StringLike: { 'aws:RequestTag/capi-fn.io/machine-uid': '*' },
      });
      const terminateConditions = (role: string) =>
        policyOf(role)
          .filter((st) => actions(st).includes('ec2:TerminateInstances'))
          .map((st) => st.Condition);
      for (const role of [functionRoleId('aws-machine'), functionRoleId('drift')]) {
        expect(terminateConditions(role), role).toEqual([
          {
            StringEquals: { 'ec2:ResourceTag/capi-fn.io/cluster-name': CLUSTER },
            StringLike: { 'ec2:ResourceTag/capi-fn.io/machine-uid': '*' },
          },
        ]);
      }
      const passRole = machine.find((st) => actions(st).includes('iam:PassRole'))!;
      expect(passRole.Resource).toEqual({
        'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${CLUSTER}-*`,
      });
      // Nothing EC2-mutating on every resource.
      for (const st of machine.filter((x) => x.Resource === '*')) {
        expect(
          actions(st).filter((a) => /^ec2:(Run|Terminate)/.test(a)),
          JSON.stringify(st),
        ).toEqual([]);
      }
    });

    it('zips each function with the chunks its entry imports, now or on use, and no other folder’s', () => {
      const fns = Object.entries(
        (JSON.parse(execFileSync('python3', ['-c', PRINT_FUNCTIONS], { cwd: out, encoding: 'utf8' })) ?? {}) as Record<
          string,
          string
        >,
      );
      expect(fns.length).toBeGreaterThan(0);
      let chunked = 0;
      for (const [name, handler] of fns) {
        const dir = mkdtempSync(join(tmpdir(), 'capi-fn-zip-'));
        execFileSync('python3', ['-m', 'zipfile', '-e', join(out, `${name}.zip`), dir]);
        const files = execFileSync('find', ['.', '-name', '*.mjs'], { cwd: dir, encoding: 'utf8' })
          .split('\n')
          .filter(Boolean)
          .map((f) => normalize(f));
        const entry = `${handler.replace(/\.[^.]+$/, '')}.mjs`;
        // Every relative import (static or `import()`) reachable from the entry is in the zip.
        const reached = new Set<string>();
        const visit = (f: string) => {
          if (reached.has(f)) return;
          reached.add(f);
          expect(files, `${name}: ${f}`).toContain(f);
          const src = readFileSync(join(dir, f), 'utf8');
          for (const m of src.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+\.mjs)"/g))
            visit(normalize(join(dirname(f), m[1]!)));
        };
        visit(entry);
        // Nothing from another function's folder (esbuild may leave a chunk of its own that nothing reaches: a
        // dynamic import in code the entry does not use).
        expect(
          files.filter((f) => !reached.has(f) && !f.startsWith(`${dirname(entry)}/chunks/`)),
          name,
        ).toEqual([]);
        if (reached.size > 1) chunked++;
      }
      // The Azure and GCP providers load their SDKs on use, the drift check every provider's.
      expect(chunked).toBeGreaterThanOrEqual(3);
    });

    it('zips one bundle per function', () => {
      const zips = readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort();
      expect(zips).toEqual(
        [...cloudFunctions.map((f) => `${f.def.name}.zip`), 'bridge.zip', 'drift.zip', 'webhooks.zip'].sort(),
      );
    });
  });
});
