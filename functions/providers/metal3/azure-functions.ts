// Azure Functions v4 registration of both Metal3 provider handlers.
import { registerAzure } from '../../../shared/entrypoints/azure-functions.ts';
import { metal3ProviderHandlers } from './handler.ts';

for (const def of metal3ProviderHandlers()) registerAzure(def);
