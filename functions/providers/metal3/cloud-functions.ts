// Google Cloud Functions registration of both Metal3 provider handlers; entry points "metal3-cluster", "metal3-machine".
import { registerGcp } from '../../../shared/entrypoints/cloud-functions.ts';
import { metal3ProviderHandlers } from './handler.ts';

for (const def of metal3ProviderHandlers()) registerGcp(def);
