// AWS Lambda entrypoint (serverless.yml: handler `functions/cluster/lambda.handler`).
import { lambdaHandler } from '../../shared/entrypoints/lambda.ts';
import { clusterHandler } from './handler.ts';

export const handler = lambdaHandler(clusterHandler);
