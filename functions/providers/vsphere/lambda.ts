// AWS Lambda entrypoints of the vSphere provider (vCenter credentials: the cluster's Secret, else VSPHERE_*).
import { lambdaExports } from '../kit/lambda.ts';
import { vsphereProviderHandlers } from './handler.ts';

export const { cluster, machine } = lambdaExports(vsphereProviderHandlers(), 'vsphere');
