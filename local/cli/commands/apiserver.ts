// `capi-fn apiserver`: run the embedded Kubernetes API server in the foreground on a data dir.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ExitCodes } from '../exit-codes.ts';

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
      const { StoreCorruptError } = await import('../../apiserver/storage/wal.ts');
      const { DataDirLockedError, lockDataDir } = await import('../../embedded/lock.ts');
      const { ensurePrivateDir, makePrivate } = await import('../../embedded/private-files.ts');
      const dataDir = resolve(opts.dataDir);
      const fail = (message: string): never => {
        process.stderr.write(`capi-fn apiserver: ${message}\n`);
        process.exit(ExitCodes.failure);
      };
      let release: () => void;
      try {
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        // Two servers on one folder would both append to its write-ahead log and corrupt it.
        release = lockDataDir(dataDir);
      } catch (e) {
        if (e instanceof DataDirLockedError || isSystemError(e)) return fail(e.message);
        throw e;
      }
      let api: Awaited<ReturnType<typeof startApiServer>>;
      try {
        api = await startApiServer({
          dataDir,
          ...(opts.port !== undefined ? { port: opts.port } : {}),
          logger: (line) => process.stderr.write(`${line}\n`),
        });
      } catch (e) {
        release();
        // A damaged store or an unusable folder or port is the operator's to fix: say what and where, no stack.
        if (e instanceof StoreCorruptError || isSystemError(e)) return fail(e.message);
        throw e;
      }
      const kubeconfig = resolve(dataDir, 'kubeconfig');
      // Rewritten on every start, but a file that already existed keeps its old mode: set it.
      makePrivate(kubeconfig);
      const openFolder = ensurePrivateDir(dataDir);
      if (openFolder) process.stderr.write(`warning: ${openFolder}\n`);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await api.stop();
        release();
        process.exit(0);
      };
      // Before the line that says it is up: a supervisor (or a test) may signal as soon as it reads it, and a
      // process descheduled between the two would die of the default SIGTERM (CI saw exit by signal).
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      process.stdout.write(`API server listening on ${api.url}\nkubeconfig: ${kubeconfig}\n`);
    });
}

function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}
