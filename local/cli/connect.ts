// The Kubernetes client for commands that talk to a cluster: --kubeconfig, --context, $KUBECONFIG,
// ~/.kube/config, or the in-cluster service account — and, when none of those exists, the embedded default
// running in this folder (`.capi-fn/kubeconfig`, what `npm start` writes), said on stderr.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createKubeClient, type KubeClient } from '../../shared/kube/index.ts';

const EMBEDDED_KUBECONFIG = join('.capi-fn', 'kubeconfig');

/** The embedded default's kubeconfig when nothing else is configured, else undefined. */
export function embeddedFallback(env: NodeJS.ProcessEnv, cwd: string, home: string): string | undefined {
  if (env.KUBECONFIG || env.KUBERNETES_SERVICE_HOST) return undefined;
  if (existsSync(join(home, '.kube', 'config'))) return undefined;
  const p = join(cwd, EMBEDDED_KUBECONFIG);
  return existsSync(p) ? p : undefined;
}

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
}

/** `fieldManager` names the writer in managedFields (a long-running command is not "the CLI"). */
export function clientFromCommand(cmd: Command, opts: { fieldManager?: string } = {}): KubeClient {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  let kubeconfig = g.kubeconfig;
  if (!kubeconfig) {
    kubeconfig = embeddedFallback(process.env, process.cwd(), homedir());
    if (kubeconfig)
      process.stderr.write(`capi-fn: using ${EMBEDDED_KUBECONFIG} (the embedded default in this folder)\n`);
  }
  return createKubeClient({
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(g.context ? { context: g.context } : {}),
    fieldManager: opts.fieldManager ?? 'capi-fn-cli',
  });
}
