// Azure Functions v4 registration of both OpenStack provider handlers.
import { registerAzure } from '../../../shared/entrypoints/azure-functions.ts';
import { openstackProviderHandlers } from './handler.ts';

for (const def of openstackProviderHandlers()) registerAzure(def);
