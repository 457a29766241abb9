// Azure Functions v4 registration of both vSphere provider handlers.
import { registerAzure } from '../../../shared/entrypoints/azure-functions.ts';
import { vsphereProviderHandlers } from './handler.ts';

for (const def of vsphereProviderHandlers()) registerAzure(def);
