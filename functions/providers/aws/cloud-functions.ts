// Google Cloud Functions registration of both AWS provider handlers; entry point names "aws-cluster", "aws-machine".
import { registerGcp } from '../../../shared/entrypoints/cloud-functions.ts';
import { awsProviderHandlers } from './handler.ts';

for (const def of awsProviderHandlers()) registerGcp(def);
