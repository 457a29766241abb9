// Google Cloud Functions registration of both OpenStack provider handlers; entry points "openstack-cluster",
// "openstack-machine".
import { registerGcp } from '../../../shared/entrypoints/cloud-functions.ts';
import { openstackProviderHandlers } from './handler.ts';

for (const def of openstackProviderHandlers()) registerGcp(def);
