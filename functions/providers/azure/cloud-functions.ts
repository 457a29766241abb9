// Google Cloud Functions registration of both Azure provider handlers; entry points "azure-cluster", "azure-machine".
import { registerGcp } from '../../../shared/entrypoints/cloud-functions.ts';
import { azureProviderHandlers } from './handler.ts';

for (const def of azureProviderHandlers()) registerGcp(def);
