// What a failed command says: one line naming what is wrong and the fix — a missing or broken kubeconfig, a
// server that cannot be reached, one that refuses the credentials — instead of a stack trace.

import { KubeError } from '../../shared/kube/errors.ts';
import { KubeconfigError } from '../../shared/kube/kubeconfig.ts';
import { TransportError } from '../../shared/kube/transport.ts';

export function describeFailure(e: unknown): string {
  // Only the first line: a YAML error goes on to quote the file, which may hold a token.
  if (e instanceof KubeconfigError) return e.message.split('\n')[0]!.replace(/:\s*$/, '');
  if (e instanceof TransportError) {
    const what = e.errno ? ` (${e.errno})` : '';
    return `cannot reach the API server${what}: ${e.message}; check that it runs (npm start) and the kubeconfig's server`;
  }
  if (e instanceof KubeError) {
    if (e.code === 401)
      return `the API server refused the credentials (401 Unauthorized); use a kubeconfig whose token is current`;
    if (e.code === 403) return `${e.message} (403 Forbidden); the kubeconfig's user lacks that permission`;
    return `${e.message} (${e.code} ${e.reason})`;
  }
  const err = e as { name?: string; message?: string; code?: string };
  if (err?.code && /^E[A-Z]+$/.test(err.code))
    return `${err.message ?? String(e)}; check the path or the server named above`;
  return `${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err?.message ?? String(e)}`;
}
