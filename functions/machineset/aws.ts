// AWS Lambda entrypoint (serverless.yml: handler `functions/machineset/aws.handler`).
import { lambdaHandler } from '../../shared/entrypoints/aws.ts';
import { machineSetHandler } from './handler.ts';

export const handler = lambdaHandler(machineSetHandler);
