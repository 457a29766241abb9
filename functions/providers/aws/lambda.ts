// AWS Lambda entrypoints of the AWS provider, one per handler (serverless.yml: handlers
// `functions/providers/aws/lambda.cluster` and `aws.machine`). EC2 credentials and region come from the
// function's role and the Lambda environment (the SDK's standard chain).
import { lambdaHandler } from '../../../shared/entrypoints/lambda.ts';
import { handlerNamed } from '../../../shared/runtime/handler.ts';
import { awsProviderHandlers } from './handler.ts';

const handlers = awsProviderHandlers();

export const cluster = lambdaHandler(handlerNamed(handlers, 'aws-cluster'));
export const machine = lambdaHandler(handlerNamed(handlers, 'aws-machine'));
