// AWS Lambda entrypoints of the OpenStack provider (credentials: the identityRef's clouds.yaml Secret, else OS_*).
import { lambdaExports } from '../kit/lambda.ts';
import { openstackProviderHandlers } from './handler.ts';

export const { cluster, machine } = lambdaExports(openstackProviderHandlers(), 'openstack');
