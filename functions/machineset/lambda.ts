// AWS Lambda entrypoint (serverless.yml: handler `functions/machineset/lambda.handler`).
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { machineSetHandler } from './handler.ts';

// Its reconcile reads current state only (a fresh LIST), so a batch of its Machines' events runs it once.
export const handler = lambdaHandler(machineSetHandler, { oncePerBatch: true });
