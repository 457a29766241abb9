// Where a deployed function's Kubernetes credentials come from. Never from the deployment template: a
// generated template holds only the *name* of a secret, and each function may read only its own.
//
//   CAPI_FN_KUBECONFIG_SECRET  AWS Secrets Manager secret id (name or ARN) holding the function's kubeconfig,
//                              read once at cold start and cached for the life of the warm instance.
//   CAPI_FN_KUBECONFIG         a path: what Azure Functions (Key Vault references), Cloud Run / Cloud Functions
//                              (`--set-secrets`) and Kubernetes mount from their secret stores.
//   CAPI_FN_KUBECONFIG_DATA    the kubeconfig itself (YAML, or base64 of it), as a platform's secret reference
//                              resolves it into the environment; for local runs.
//   otherwise                  KUBECONFIG, ~/.kube/config, or the in-cluster service account.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kubeconfig text from base64 or YAML. */
export function kubeconfigText(data: string): string {
  return /^\s*(apiVersion|kind|clusters|current-context)\s*:/m.test(data)
    ? data
    : Buffer.from(data, 'base64').toString('utf8');
}

/** Writes the kubeconfig to a private temporary file (the loader reads files) and returns its path. */
export function writePrivateKubeconfig(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'capi-fn-')), 'kubeconfig');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** A credential source that failed: says which, never what it held. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/**
 * Reads a named secret from the host's secret store. Registered by the host's entrypoints (AWS Lambda:
 * aws-secrets.ts), so a bundle for another host never carries another cloud's SDK.
 */
export type SecretReader = (secretId: string) => Promise<string>;
let reader: SecretReader | undefined;

export function setSecretReader(r: SecretReader | undefined): void {
  reader = r;
}

export function secretReader(): SecretReader {
  if (!reader) {
    throw new CredentialsError(
      'CAPI_FN_KUBECONFIG_SECRET is set but this host has no secret store reader (it is read on AWS Lambda); set CAPI_FN_KUBECONFIG to a file the platform mounts from its secret store instead',
    );
  }
  return reader;
}

export type KubeconfigSource =
  | { kind: 'secrets-manager'; secretId: string }
  | { kind: 'file'; path: string }
  | { kind: 'inline'; data: string }
  | { kind: 'default' };

export function kubeconfigSource(env: NodeJS.ProcessEnv): KubeconfigSource {
  if (env.CAPI_FN_KUBECONFIG_SECRET) return { kind: 'secrets-manager', secretId: env.CAPI_FN_KUBECONFIG_SECRET };
  if (env.CAPI_FN_KUBECONFIG) return { kind: 'file', path: env.CAPI_FN_KUBECONFIG };
  if (env.CAPI_FN_KUBECONFIG_DATA) return { kind: 'inline', data: env.CAPI_FN_KUBECONFIG_DATA };
  return { kind: 'default' };
}
