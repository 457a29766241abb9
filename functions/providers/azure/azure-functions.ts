// Azure Functions v4 registration of both Azure provider handlers.
import { registerAzure } from '../../../shared/entrypoints/azure-functions.ts';
import { azureProviderHandlers } from './handler.ts';

for (const def of azureProviderHandlers()) registerAzure(def);
