// AWS Lambda entrypoints of the Metal3 provider (its hosts are in the cluster: no cloud credentials).
import { lambdaExports } from '../kit/lambda.ts';
import { metal3ProviderHandlers } from './handler.ts';

export const { cluster, machine } = lambdaExports(metal3ProviderHandlers(), 'metal3');
