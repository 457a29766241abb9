// serverless.yml is generated from the handler declarations, kept current, and packages offline with
// osls (no login, no credentials), producing one function, queue, DLQ and rule per handler whose
// event pattern is the bus adapter's own routing rule; schedules for the drift check, the bridge and the
// operator; the operator alone at reserved concurrency 1 among the handlers; EC2 rights only on the AWS
// provider's role; and the webhooks behind an unauthenticated function URL the operator registers.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_HANDLER_NAME } from '../../functions/operator/index.ts';
import { EC2_ACTIONS } from '../../functions/providers/aws/permissions.ts';
import { cloudFunctions } from '../../functions/registry.ts';
import { AWS_PROVIDER_ROLE, DRIFT_ROLE, renderServerlessYaml } from '../../scripts/serverless-config.ts';
import { eventBridgePatternFor } from '../../shared/bus/eventbridge-rules.ts';
import { subscriptionOf } from '../../shared/runtime/handler.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** EventBridge's default event pattern size quota (adjustable up to 4096). */
const DEFAULT_PATTERN_QUOTA = 2048;

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string | string[] };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** osls' logical id of a function (`<name with - as Dash, first letter upper>LambdaFunction`). */
const fnId = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1).replace(/-/g, 'Dash')}LambdaFunction`;
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

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
      expect(JSON.stringify(eventBridgePatternFor(subscriptionOf(def))).length, def.name).toBeLessThanOrEqual(
        DEFAULT_PATTERN_QUOTA,
      );
  });

  describe('packaged offline with osls', () => {
    let out: string;
    let resources: Record<string, Resource>;
    let outputs: Record<string, { Value: unknown }>;
    const byType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);

    beforeAll(async () => {
      // Package in a copy so the test never races a developer's own .serverless folder.
      const dir = mkdtempSync(join(tmpdir(), 'capi-fn-sls-'));
      for (const f of ['serverless.yml', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f));
      for (const d of ['functions', 'shared', 'local'])
        cpSync(join(ROOT, d), join(dir, d), { recursive: true, filter: (p) => !p.endsWith('.test.ts') });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      await new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package'],
          { cwd: dir, timeout: 180_000, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
          (err, stdout, stderr) =>
            err ? reject(new Error(`osls package failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
        ),
      );
      out = join(dir, '.serverless');
      const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
        Resources: Record<string, Resource>;
        Outputs: Record<string, { Value: unknown }>;
      };
      resources = template.Resources;
      outputs = template.Outputs;
    }, 240_000);

    it('has one Lambda, queue, DLQ, event source and rule per handler, with the routing rule as pattern', () => {
      expect(byType('AWS::Events::EventBus')).toHaveLength(1);
      const rules = byType('AWS::Events::Rule')
        .map(([, r]) => r)
        .filter((r) => r.Properties.EventPattern);
      expect(rules).toHaveLength(cloudFunctions.length);
      for (const { def } of cloudFunctions) {
        const rule = rules.find((r) => r.Properties.Name === `capifn-${def.name}`);
        expect(rule, def.name).toBeDefined();
        expect(rule!.Properties.EventPattern).toEqual(eventBridgePatternFor(subscriptionOf(def)));
        expect(resources[fnId(def.name)], def.name).toBeDefined();
      }
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

    it('runs the operator and the bridge at reserved concurrency 1, and bounds the others by their event source', () => {
      const reserved = byType('AWS::Lambda::Function')
        .filter(([, r]) => r.Properties.ReservedConcurrentExecutions !== undefined)
        .map(([id, r]) => [id, r.Properties.ReservedConcurrentExecutions]);
      expect(reserved.sort()).toEqual([
        [fnId('bridge'), 1],
        [fnId(OPERATOR_HANDLER_NAME), 1],
      ]);
      for (const [, esm] of byType('AWS::Lambda::EventSourceMapping')) {
        const fn = (esm.Properties.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
        // An SQS event source cannot go below 2; the singleton relies on reserved concurrency alone.
        if (fn === fnId(OPERATOR_HANDLER_NAME)) expect(esm.Properties.ScalingConfig, fn).toBeUndefined();
        else expect(esm.Properties.ScalingConfig, fn).toEqual({ MaximumConcurrency: 50 });
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
      expect(webhooks.Role).toEqual(arnOf('WebhooksRole'));
      // Logs only: the internet-facing function holds no queue, bus or cloud rights.
      expect(resources.WebhooksRole!.Properties.Policies).toBeUndefined();
    });

    it('gives EC2 rights to the AWS provider functions only', () => {
      const ec2Holders = byType('AWS::IAM::Role')
        .filter(([, r]) =>
          ((r.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>) ?? []).some((p) =>
            p.PolicyDocument.Statement.some((s) => actions(s).some((a) => a.startsWith('ec2:'))),
          ),
        )
        .map(([id]) => id);
      expect(ec2Holders.sort()).toEqual([AWS_PROVIDER_ROLE, DRIFT_ROLE].sort());
      // The drift check only lists instances and deletes those carrying capi-fn's identity tag.
      const drift = (
        resources[DRIFT_ROLE]!.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>
      )[0]!.PolicyDocument.Statement;
      const driftEc2 = drift.filter((st) => actions(st).some((a) => a.startsWith('ec2:')));
      expect(driftEc2.flatMap(actions).sort()).toEqual(['ec2:DescribeInstances', 'ec2:TerminateInstances']);
      const terminate = driftEc2.find((st) => actions(st).includes('ec2:TerminateInstances')) as Statement & {
        Condition?: unknown;
      };
      expect(terminate.Condition).toEqual({ StringLike: { 'aws:ResourceTag/capi-fn.io/machine-uid': '*' } });
      const statements = (
        resources[AWS_PROVIDER_ROLE]!.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>
      )[0]!.PolicyDocument.Statement;
      const granted = new Set(statements.flatMap(actions));
      for (const a of [...ec2CallsInCode(), 'ec2:CreateTags', 'iam:PassRole', 'sqs:ReceiveMessage']) {
        expect(granted.has(a), a).toBe(true);
      }
      for (const [id, fn] of byType('AWS::Lambda::Function')) {
        const role = fn.Properties.Role;
        if (id === fnId('aws-cluster') || id === fnId('aws-machine'))
          expect(role, id).toEqual(arnOf(AWS_PROVIDER_ROLE));
        else expect(role, id).not.toEqual(arnOf(AWS_PROVIDER_ROLE));
      }
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
