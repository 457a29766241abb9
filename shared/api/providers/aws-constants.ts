// AWS provider constants without the schemas, for the handlers (whose bundles should not carry zod's classic API).
export const AWS_PROVIDER_ID_PREFIX = 'aws:///';
export const AWSMachineFinalizer = 'awsmachine.infrastructure.cluster.x-k8s.io';
