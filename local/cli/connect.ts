// The Kubernetes client for commands that talk to a cluster: --kubeconfig, --context, $KUBECONFIG,
// ~/.kube/config, or the in-cluster service account.
import type { Command } from 'commander';
import { createKubeClient, type KubeClient } from '../../shared/kube/index.ts';

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
}

/** `fieldManager` names the writer in managedFields (a long-running command is not "the CLI"). */
export function clientFromCommand(cmd: Command, opts: { fieldManager?: string } = {}): KubeClient {
  const g = cmd.optsWithGlobals() as GlobalOptions;
  return createKubeClient({
    ...(g.kubeconfig ? { kubeconfig: g.kubeconfig } : {}),
    ...(g.context ? { context: g.context } : {}),
    fieldManager: opts.fieldManager ?? 'capi-fn-cli',
  });
}
