// AWS Lambda entrypoint (serverless.yml: handler `functions/machinehealthcheck/lambda.handler`).
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { machineHealthCheckHandler } from './handler.ts';

export const handler = lambdaHandler(machineHealthCheckHandler);
