// The storage account of a deployed Azure function's queues, from the app settings of a Functions
// connection named `name`: a connection string (`<name>`, local runs and Azurite), or — as infra/azure deploys
// it, with no key anywhere — the identity-based form the Functions host reads for the trigger itself
// (`<name>__queueServiceUri`, and `<name>__clientId` for the app's user-assigned managed identity).
import type { QueueServiceClient } from '@azure/storage-queue';

export async function queueServiceFromEnv(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<QueueServiceClient> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const uri = env[`${name}__queueServiceUri`];
  if (uri) {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    const clientId = env[`${name}__clientId`];
    return new QueueServiceClient(uri, new ManagedIdentityCredential(clientId ? { clientId } : {}));
  }
  const conn = env[name] ?? env.AzureWebJobsStorage;
  if (!conn)
    throw new Error(`${name} (a connection string) or ${name}__queueServiceUri (with a managed identity) must be set`);
  return QueueServiceClient.fromConnectionString(conn);
}
