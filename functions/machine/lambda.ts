// AWS Lambda entrypoint (serverless.yml: handler `functions/machine/lambda.handler`).
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { machineHandler } from './handler.ts';

export const handler = lambdaHandler(machineHandler);
