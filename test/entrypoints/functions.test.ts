// The deployed Lambda modules of the AWS provider and the operator, invoked in-process as Lambda
// invokes them (SQS batches, a schedule tick), against a scripted API: each export runs its own handler.
import type { Context, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { setFunctionEnv } from '../../shared/entrypoints/deps.ts';
import { newResourceEvent, type ObjectRef } from '../../shared/events/resource-event.ts';
import type { KubeRequest } from '../../shared/kube/transport.ts';
import { type ApiAnswer, scriptedEnv } from './handlers.ts';

const ctx = { awsRequestId: 'req-1', functionName: 'capi-fn-dev-fn' } as Context;

function sqsBatch(...refs: ObjectRef[]): SQSEvent {
  return {
    Records: refs.map((ref, i) => ({
      messageId: `m${i}`,
      receiptHandle: `rh-${i}`,
      body: JSON.stringify({
        version: '0',
        id: `e${i}`,
        'detail-type': 'io.capifn.resource.modified',
        source: 'test',
        detail: newResourceEvent({ type: 'io.capifn.resource.modified', source: 'test', ref }),
      }),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:capifn-x',
      awsRegion: 'us-east-1',
    })),
  } as unknown as SQSEvent;
}

const INFRA = 'infrastructure.cluster.x-k8s.io/v1beta2';

describe('AWS provider Lambda exports (functions/providers/aws/lambda.ts)', () => {
  let requests: string[];
  beforeEach(() => {
    // Nothing exists: the handlers look and find nothing to do, so no cloud call and no queue call.
    const s = scriptedEnv();
    requests = s.requests;
    setFunctionEnv(s.env);
  });
  afterAll(() => setFunctionEnv(undefined));

  it('`machine` reconciles AWSMachines and `cluster` AWSClusters, each ignoring the other kind', async () => {
    const { cluster, machine } = await import('../../functions/providers/aws/lambda.ts');
    const awsMachine = { apiVersion: INFRA, kind: 'AWSMachine', namespace: 'ns', name: 'm1' };
    const awsCluster = { apiVersion: INFRA, kind: 'AWSCluster', namespace: 'ns', name: 'c1' };
    expect(await machine(sqsBatch(awsMachine, awsCluster), ctx)).toEqual({ batchItemFailures: [] });
    expect(requests).toEqual([`GET /apis/${INFRA}/namespaces/ns/awsmachines/m1`]);
    requests.length = 0;
    expect(await cluster(sqsBatch(awsMachine, awsCluster), ctx)).toEqual({ batchItemFailures: [] });
    expect(requests).toEqual([`GET /apis/${INFRA}/namespaces/ns/awsclusters/c1`]);
  });
});

describe('operator Lambda (functions/operator/lambda.ts)', () => {
  afterAll(() => setFunctionEnv(undefined));

  it('a schedule tick runs the operator, which reports through ClusterOperator cluster-api', async () => {
    const CO = '/apis/config.openshift.io/v1/clusteroperators/cluster-api';
    let stored = {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterOperator',
      metadata: { name: 'cluster-api', resourceVersion: '1' },
      spec: {},
    } as Record<string, unknown>;
    const respond = (req: KubeRequest): ApiAnswer | undefined => {
      const path = req.path.split('?')[0];
      if (path === CO && req.method === 'GET') return { status: 200, body: stored };
      if (path === `${CO}/status` && req.method === 'PUT') {
        stored = { ...JSON.parse(req.body!), metadata: { name: 'cluster-api', resourceVersion: '2' } };
        return { status: 200, body: stored };
      }
      return undefined;
    };
    const s = scriptedEnv(respond);
    setFunctionEnv(s.env);
    const { handler } = await import('../../functions/operator/lambda.ts');
    const tick: ScheduledEvent = {
      version: '0',
      id: 'tick-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-12-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {},
    };
    await handler(tick, ctx);
    expect(s.requests.map((r) => r.split('?')[0])).toContain(`PUT ${CO}/status`);
    // No FeatureGate/cluster: the Technology Preview is off, which the operator reports as it is.
    const conditions = (stored.status as { conditions: Array<{ type: string; status: string }> }).conditions;
    expect(conditions.map((c) => c.type)).toEqual(expect.arrayContaining(['Available', 'Degraded']));
  });
});
