// The packaged AWS deployment (osls' CloudFormation template and function zips, unchanged) run as AWS would run it,
// on moto: the template's event bus, queues (with their redrive policies), routing rules and their SQS targets are
// created in moto from the template's own properties; each function's kubeconfig goes into its Secrets Manager
// secret; every function runs from its unzipped package in a process of its own (lambda-runtime.ts) with the
// environment the template gives it (Ref and Fn::GetAtt resolved); each event source mapping is a poller that
// sends SQS batches in Lambda's event shape and honours ReportBatchItemFailures; schedule rules invoke their
// function with a Scheduled Event; the function URL is an HTTP server speaking the function URL payload 2.0.
//
// Why not serverless-offline: its current release needs Serverless Framework v4, which cannot run offline here, and
// no offline plugin creates the template's EventBridge rules and SQS queues (CloudFormation resources) or resolves
// the Ref/Fn::GetAtt in the functions' environment. `osls deploy` to moto's CloudFormation stops at moto's template
// validation (cfn-lint rejects the DependsOn osls adds to every function), and moto's Lambda needs Docker to invoke.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Moto } from './moto.ts';
import { motoEnv } from './moto.ts';
import type { OslsPackage } from './osls-package.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RUNTIME = join(import.meta.dirname, 'lambda-runtime.ts');
const ACCOUNT = '123456789012';

export interface DeployedOptions {
  pkg: OslsPackage;
  moto: Moto;
  /** The kubeconfig every function's secret holds. */
  kubeconfig: string;
  /** How often each schedule rule fires (the template's rate, compressed for a test). */
  scheduleEveryMs: number;
  /** Per function: the invocation timeout the harness gives instead of the template's (the bridge's 300 s). */
  timeoutMs?: Record<string, number>;
  /** Extra environment for every function (log level, say). */
  env?: Record<string, string>;
}

export interface Deployed {
  /** The webhooks' function URL. */
  functionUrl: string;
  /** Invocations per function, and those that failed. */
  invocations: Map<string, { ok: number; failed: number; lastError?: string }>;
  stop(): Promise<void>;
}

type Intrinsic = { Ref?: string; 'Fn::GetAtt'?: [string, string] };

interface Fn {
  logicalId: string;
  name: string;
  timeoutMs: number;
  child: ChildProcess;
  port: number;
  /** One invocation at a time per instance, as Lambda runs one; a singleton has only one instance anyway. */
  busy: Promise<unknown>;
}

export async function deployToMoto(o: DeployedOptions): Promise<Deployed> {
  const aws = {
    endpoint: o.moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const sqs = new SQSClient(aws);
  const events = new EventBridgeClient(aws);
  const secrets = new SecretsManagerClient(aws);
  const R = o.pkg.resources;
  const ofType = (t: string) => Object.entries(R).filter(([, r]) => r.Type === t);
  const queueUrls = new Map<string, string>();
  const queueArns = new Map<string, string>();
  const stopping = { now: false };
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const work = join(ROOT, 'node_modules', '.cache', `capi-fn-aws-${process.pid}-${randomUUID().slice(0, 8)}`);

  // Queues: dead-letter queues first, so each redrive policy names an ARN that exists.
  const queues = ofType('AWS::SQS::Queue').sort(
    ([, a], [, b]) => Number('RedrivePolicy' in a.Properties) - Number('RedrivePolicy' in b.Properties),
  );
  for (const [id, q] of queues) {
    const p = q.Properties as {
      QueueName: string;
      VisibilityTimeout?: number;
      MessageRetentionPeriod?: number;
      RedrivePolicy?: { deadLetterTargetArn: Intrinsic; maxReceiveCount: number };
    };
    const attributes: Record<string, string> = {};
    if (p.VisibilityTimeout !== undefined) attributes.VisibilityTimeout = String(p.VisibilityTimeout);
    if (p.MessageRetentionPeriod !== undefined) attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
    if (p.RedrivePolicy)
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: queueArns.get(p.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt']![0]),
        maxReceiveCount: p.RedrivePolicy.maxReceiveCount,
      });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: p.QueueName, Attributes: attributes }));
    const arn = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    queueUrls.set(id, QueueUrl!);
    queueArns.set(id, arn.Attributes!.QueueArn!);
  }
  for (const [, bus] of ofType('AWS::Events::EventBus'))
    await events.send(new CreateEventBusCommand({ Name: (bus.Properties as { Name: string }).Name }));
  const busName = (ref: unknown) => {
    const r = ref as Intrinsic | string | undefined;
    return typeof r === 'string' ? r : r?.Ref ? (R[r.Ref]!.Properties as { Name: string }).Name : undefined;
  };
  const schedules: Array<{ fn: string; rule: string }> = [];
  for (const [id, rule] of ofType('AWS::Events::Rule')) {
    const p = rule.Properties as {
      Name?: string;
      EventBusName?: unknown;
      EventPattern?: unknown;
      ScheduleExpression?: string;
      Targets: Array<{ Id: string; Arn: Intrinsic }>;
    };
    if (p.ScheduleExpression) {
      for (const t of p.Targets) schedules.push({ fn: t.Arn['Fn::GetAtt']![0], rule: id });
      continue;
    }
    await events.send(
      new PutRuleCommand({
        Name: p.Name ?? id,
        EventBusName: busName(p.EventBusName),
        EventPattern: JSON.stringify(p.EventPattern),
        State: 'ENABLED',
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: p.Name ?? id,
        EventBusName: busName(p.EventBusName),
        Targets: p.Targets.map((t) => ({ Id: t.Id, Arn: queueArns.get(t.Arn['Fn::GetAtt']![0]) })),
      }),
    );
  }

  // Function URLs resolve before the functions start (the operator's environment names the webhooks' URL).
  const urlServer = createServer();
  await new Promise<void>((r) => urlServer.listen(0, '127.0.0.1', r));
  servers.push(urlServer);
  const functionUrl = `http://127.0.0.1:${(urlServer.address() as AddressInfo).port}/`;
  const urls = new Map(
    ofType('AWS::Lambda::Url').map(([id, u]) => [
      id,
      (u.Properties as { TargetFunctionArn: Intrinsic }).TargetFunctionArn['Fn::GetAtt']![0],
    ]),
  );

  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const i = v as Intrinsic;
    if (i.Ref && queueUrls.has(i.Ref)) return queueUrls.get(i.Ref)!;
    if (i['Fn::GetAtt']?.[1] === 'FunctionUrl' && urls.has(i['Fn::GetAtt'][0])) return functionUrl;
    throw new Error(`the harness cannot resolve ${JSON.stringify(v)}`);
  };

  const fns = new Map<string, Fn>();
  const invocations = new Map<string, { ok: number; failed: number; lastError?: string }>();
  mkdirSync(work, { recursive: true });
  for (const [id, f] of ofType('AWS::Lambda::Function')) {
    const p = f.Properties as {
      FunctionName: string;
      Handler: string;
      Timeout?: number;
      Code: { S3Key: string };
      Environment?: { Variables: Record<string, unknown> };
    };
    const zip = join(o.pkg.out, p.Code.S3Key.split('/').pop()!);
    const root = join(work, id);
    mkdirSync(root, { recursive: true });
    execFileSync('python3', ['-m', 'zipfile', '-e', zip, root]);
    const variables = Object.fromEntries(
      Object.entries(p.Environment?.Variables ?? {}).map(([k, v]) => [k, resolve(v)]),
    );
    if (variables.CAPI_FN_KUBECONFIG_SECRET)
      await secrets.send(
        new CreateSecretCommand({ Name: variables.CAPI_FN_KUBECONFIG_SECRET, SecretString: o.kubeconfig }),
      );
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(CAPI_FN_|KUBECONFIG|AWS_)/.test(k)),
    );
    const child = spawn(process.execPath, [RUNTIME], {
      env: {
        ...inherited,
        ...motoEnv(o.moto),
        ...variables,
        ...o.env,
        LAMBDA_TASK_ROOT: root,
        LAMBDA_HANDLER: p.Handler,
        AWS_LAMBDA_FUNCTION_NAME: p.FunctionName,
        // Lambda's own NODE_OPTIONS is the template's; the test runner's loaders must not leak in.
        NODE_OPTIONS: String(variables.NODE_OPTIONS ?? ''),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const port = await new Promise<number>((res, rej) => {
      child.stdout!.once('data', (d: Buffer) => res(Number(d.toString().split('\n')[0])));
      child.once('exit', (c) => rej(new Error(`${p.FunctionName} exited (${c}) before it listened`)));
    });
    const name = p.FunctionName.replace(/^capi-fn-dev-/, '');
    fns.set(id, {
      logicalId: id,
      name,
      timeoutMs: o.timeoutMs?.[name] ?? (p.Timeout ?? 6) * 1000,
      child,
      port,
      busy: Promise.resolve(),
    });
    invocations.set(name, { ok: 0, failed: 0 });
  }

  async function invoke(fnId: string, event: unknown): Promise<{ ok: boolean; result: unknown }> {
    const fn = fns.get(fnId)!;
    const run = fn.busy.then(async () => {
      const res = await fetch(`http://127.0.0.1:${fn.port}/invoke`, {
        method: 'POST',
        body: JSON.stringify({ event, timeoutMs: fn.timeoutMs }),
      });
      const result = (await res.json()) as unknown;
      const count = invocations.get(fn.name)!;
      if (res.ok) count.ok++;
      else {
        count.failed++;
        count.lastError = JSON.stringify(result);
      }
      return { ok: res.ok, result };
    });
    fn.busy = run.catch(() => undefined);
    return run;
  }

  urlServer.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', functionUrl);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        requestContext: {
          accountId: 'anonymous',
          domainName: url.host,
          http: {
            method: req.method,
            path: url.pathname,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId: randomUUID(),
          routeKey: '$default',
          stage: '$default',
          time: new Date().toUTCString(),
          timeEpoch: Date.now(),
        },
        body: Buffer.concat(chunks).toString('utf8'),
        isBase64Encoded: false,
      };
      const { ok, result } = await invoke([...urls.values()][0]!, event);
      const r = result as { statusCode?: number; headers?: Record<string, string>; body?: string };
      res.writeHead(ok ? (r.statusCode ?? 200) : 502, ok ? (r.headers ?? {}) : {}).end(ok ? (r.body ?? '') : '');
    });
  });

  // Event source mappings: long-poll the queue, a batch in Lambda's SQS event shape, delete all but the failures. As
  // Lambda does, a batch gathers up to BatchSize records (10 per receive, SQS's most) while its batching window
  // lasts.
  const pollers = ofType('AWS::Lambda::EventSourceMapping').map(async ([, m]) => {
    const p = m.Properties as {
      BatchSize?: number;
      MaximumBatchingWindowInSeconds?: number;
      EventSourceArn: Intrinsic;
      FunctionName: Intrinsic;
    };
    const queueId = p.EventSourceArn['Fn::GetAtt']![0];
    const fnId = p.FunctionName['Fn::GetAtt']![0];
    const QueueUrl = queueUrls.get(queueId)!;
    const batchSize = p.BatchSize ?? 10;
    const windowMs = (p.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    const receive = (max: number, wait: number): Promise<Message[]> =>
      sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: Math.min(10, max),
            WaitTimeSeconds: wait,
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        )
        .then((r) => r.Messages ?? [])
        .catch((): Message[] => []);
    while (!stopping.now) {
      const messages = await receive(batchSize, 1);
      if (!messages.length || stopping.now) continue;
      const windowEnds = Date.now() + windowMs;
      while (messages.length < batchSize && Date.now() < windowEnds && !stopping.now)
        messages.push(...(await receive(batchSize - messages.length, 0)));
      const event = {
        Records: messages.map((msg) => ({
          messageId: msg.MessageId,
          receiptHandle: msg.ReceiptHandle,
          body: msg.Body,
          attributes: msg.Attributes ?? {},
          messageAttributes: Object.fromEntries(
            Object.entries(msg.MessageAttributes ?? {}).map(([k, v]) => [
              k,
              { stringValue: v.StringValue, dataType: v.DataType, stringListValues: [], binaryListValues: [] },
            ]),
          ),
          md5OfBody: msg.MD5OfBody,
          eventSource: 'aws:sqs',
          eventSourceARN: queueArns.get(queueId),
          awsRegion: 'us-east-1',
        })),
      };
      const { ok, result } = await invoke(fnId, event);
      // A function error returns the whole batch to the queue (visible again after its visibility timeout).
      if (!ok) continue;
      const failed = new Set(
        ((result as { batchItemFailures?: Array<{ itemIdentifier: string }> } | null)?.batchItemFailures ?? []).map(
          (f) => f.itemIdentifier,
        ),
      );
      const done = messages.filter((msg) => !failed.has(msg.MessageId!));
      // DeleteMessageBatch takes 10 entries at most.
      for (let i = 0; i < done.length; i += 10)
        await sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl,
              Entries: done.slice(i, i + 10).map((msg, j) => ({ Id: String(j), ReceiptHandle: msg.ReceiptHandle })),
            }),
          )
          .catch(() => undefined);
    }
  });

  // Schedule rules: a Scheduled Event to their target, back to back for a singleton-like run of the bridge.
  const timers = schedules.map(({ fn, rule }) => {
    const tick = async (): Promise<void> => {
      if (stopping.now) return;
      await invoke(fn, {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: ACCOUNT,
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/${rule}`],
        detail: {},
      });
      if (!stopping.now) timer = setTimeout(() => void tick(), o.scheduleEveryMs);
    };
    let timer = setTimeout(() => void tick(), 0);
    return () => clearTimeout(timer);
  });

  return {
    functionUrl,
    invocations,
    async stop() {
      stopping.now = true;
      for (const clear of timers) clear();
      await Promise.allSettled(pollers);
      await Promise.allSettled([...fns.values()].map((f) => f.busy));
      for (const c of children) c.kill('SIGKILL');
      for (const s of servers) s.close();
      sqs.destroy();
      events.destroy();
      secrets.destroy();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
