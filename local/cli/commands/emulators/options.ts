// Argument parsers and the foreground lifecycle every `capi-fn emulator <cloud>` shares.
import { InvalidArgumentError } from 'commander';

export function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`invalid port: ${v} (0-65535)`);
  return n;
}

export function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number >= 1: ${v}`);
  return n;
}

/**
 * Starts an emulator and keeps it in the foreground: a busy port is a one-line error (exit 1); SIGINT and SIGTERM
 * stop it, installed before `banner` is printed (a supervisor that signals on that line must not kill it early).
 */
export async function runForeground(
  name: string,
  start: () => Promise<{ stop(): Promise<void> | void }>,
  banner: () => string[],
  portAsked: number,
): Promise<void> {
  let server: { stop(): Promise<void> | void };
  try {
    server = await start();
  } catch (e) {
    const busy = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
    process.stderr.write(
      `capi-fn emulator ${name}: ${busy ? `port ${portAsked} is in use; pick another with --port` : (e as Error).message}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.stdout.write([...banner(), ''].join('\n'));
}
