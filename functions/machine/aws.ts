// AWS Lambda entrypoint (serverless.yml: handler `functions/machine/aws.handler`).
import { lambdaHandler } from '../../shared/entrypoints/aws.ts';
import { machineHandler } from './handler.ts';

export const handler = lambdaHandler(machineHandler);
