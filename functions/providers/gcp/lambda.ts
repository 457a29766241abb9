// AWS Lambda entrypoints of the GCP provider (Compute Engine credentials: the cluster's Secret, else ADC).
import { lambdaExports } from '../kit/lambda.ts';
import { gcpProviderHandlers } from './handler.ts';

export const { cluster, machine } = lambdaExports(gcpProviderHandlers(), 'gcp');
