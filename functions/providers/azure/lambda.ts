// AWS Lambda entrypoints of the Azure provider (ARM credentials: the cluster's AzureClusterIdentity, else the
// standard AZURE_* variables).
import { lambdaExports } from '../kit/lambda.ts';
import { azureProviderHandlers } from './handler.ts';

export const { cluster, machine } = lambdaExports(azureProviderHandlers(), 'azure');
