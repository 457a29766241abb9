// Google Cloud Functions registration of both GCP provider handlers; entry points "gcp-cluster", "gcp-machine".
import { registerGcp } from '../../../shared/entrypoints/cloud-functions.ts';
import { gcpProviderHandlers } from './handler.ts';

for (const def of gcpProviderHandlers()) registerGcp(def);
