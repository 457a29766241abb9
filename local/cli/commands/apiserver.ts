// `capi-fn apiserver`: run the embedded Kubernetes API server in the foreground on a data dir.
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';

export function register(program: Command): void {
  program
    .command('apiserver')
    .description('run the embedded Kubernetes API server (foreground); writes DIR/kubeconfig')
    .option('--port <n>', 'port to listen on (default: a random free port)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`invalid port: ${v}`);
      return n;
    })
    .option('--data-dir <dir>', 'where objects, TLS material, the token and the kubeconfig live', '.capi-fn')
    .action(async (opts: { port?: number; dataDir: string }) => {
      const { startApiServer } = await import('../../apiserver/index.ts');
      const { ensurePrivateDir, makePrivate } = await import('../../embedded/private-files.ts');
      const dataDir = resolve(opts.dataDir);
      const api = await startApiServer({
        dataDir,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        logger: (line) => process.stderr.write(`${line}\n`),
      });
      const kubeconfig = resolve(dataDir, 'kubeconfig');
      // Rewritten on every start, but a file that already existed keeps its old mode: set it.
      makePrivate(kubeconfig);
      const openFolder = ensurePrivateDir(dataDir);
      if (openFolder) process.stderr.write(`warning: ${openFolder}\n`);
      process.stdout.write(`API server listening on ${api.url}\nkubeconfig: ${kubeconfig}\n`);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await api.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
    });
}
