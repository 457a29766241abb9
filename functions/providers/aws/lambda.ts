// AWS Lambda entrypoints of the AWS provider. EC2 credentials and region come from the function's role and
// the Lambda environment (the SDK's standard chain).
import { lambdaExports } from '../kit/lambda.ts';
import { awsProviderHandlers } from './handler.ts';

export const { cluster, machine } = lambdaExports(awsProviderHandlers(), 'aws');
