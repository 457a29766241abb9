// Google Cloud Functions registration of both vSphere provider handlers; entry points "vsphere-cluster", "vsphere-machine".
import { registerGcp } from '../../../shared/entrypoints/cloud-functions.ts';
import { vsphereProviderHandlers } from './handler.ts';

for (const def of vsphereProviderHandlers()) registerGcp(def);
