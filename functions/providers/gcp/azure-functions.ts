// Azure Functions v4 registration of both GCP provider handlers.
import { registerAzure } from '../../../shared/entrypoints/azure-functions.ts';
import { gcpProviderHandlers } from './handler.ts';

for (const def of gcpProviderHandlers()) registerAzure(def);
