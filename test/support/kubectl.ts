// Real kubectl against a test's API server: its exit code and output, and `ok` for a call that must succeed.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlFor(kubeconfig: string, dir: string) {
  const kubectl = (args: string[]): Promise<KubectlRun> =>
    new Promise((resolve) => {
      execFile(
        'kubectl',
        [...args, '--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')],
        { timeout: 60_000, env: { ...process.env, KUBECONFIG: kubeconfig } },
        (err, stdout, stderr) => {
          const code = (err as { code?: unknown } | null)?.code;
          resolve({ code: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
        },
      );
    });
  const ok = async (args: string[]): Promise<string> => {
    const r = await kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  return { kubectl, ok };
}
