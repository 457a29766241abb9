// Structured JSON logs (pino) carrying event id, handler and object on every line.
import { pino } from 'pino';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = opts.level ?? process.env.CAPI_FN_LOG_LEVEL ?? 'info';
  return pino(
    { level, base: opts.name ? { name: opts.name } : null, timestamp: pino.stdTimeFunctions.isoTime },
    opts.destination ?? pino.destination(2),
  ) as unknown as Logger;
}

/** Drops everything; for tests and quiet embedded runs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
