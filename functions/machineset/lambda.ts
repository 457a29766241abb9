// AWS Lambda entrypoint (serverless.yml: handler `functions/machineset/lambda.handler`).
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { machineSetHandler } from './handler.ts';

export const handler = lambdaHandler(machineSetHandler);
