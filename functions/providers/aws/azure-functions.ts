// Azure Functions v4 registration of both AWS provider handlers (queue and Event Grid triggers each).
import { registerAzure } from '../../../shared/entrypoints/azure-functions.ts';
import { awsProviderHandlers } from './handler.ts';

for (const def of awsProviderHandlers()) registerAzure(def);
