// AWS Lambda entrypoint (serverless.yml: handler `functions/cluster/aws.handler`).
import { lambdaHandler } from '../../shared/entrypoints/aws.ts';
import { clusterHandler } from './handler.ts';

export const handler = lambdaHandler(clusterHandler);
