// AWS Lambda's secret store: a function's kubeconfig from Secrets Manager, read with the function's own role.
// Imported by every Lambda entrypoint (lambda.ts, lambda-http.ts, lambda-schedule.ts), so whichever one a function
// is built on reads CAPI_FN_KUBECONFIG_SECRET; the SDK ships with the Lambda runtime and is never bundled.
import { CredentialsError, setSecretReader } from './credentials.ts';

export async function readSecretsManager(secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    const r = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (r.SecretString !== undefined) return r.SecretString;
    if (r.SecretBinary) return Buffer.from(r.SecretBinary).toString('utf8');
    throw new CredentialsError(`Secrets Manager secret ${secretId} (CAPI_FN_KUBECONFIG_SECRET) has no value`);
  } catch (e) {
    if (e instanceof CredentialsError) throw e;
    const name = (e as { name?: string }).name ?? 'Error';
    // The SDK's message names the secret and the reason (AccessDenied, ResourceNotFound), never its value.
    throw new CredentialsError(
      `cannot read Secrets Manager secret ${secretId} (CAPI_FN_KUBECONFIG_SECRET): ${name}: ${(e as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}

setSecretReader(readSecretsManager);
