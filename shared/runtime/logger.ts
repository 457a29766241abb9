// Structured JSON logs (pino) carrying event id, handler and object on every line. Every line is scrubbed of
// credentials on the way out: error text can quote its input (a parser or a server can print the offending
// line, token and all), and a log is read by more people than the cluster's credentials are meant for.
import { pino } from 'pino';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const REDACTED = '[REDACTED]';

/** Keys whose values are credentials wherever they appear (kubeconfig users, Secrets, HTTP headers). */
const SECRET_KEYS =
  /^(token|id-token|refresh-token|access-token|password|client-key|client-key-data|authorization|bearer|secret|secretaccesskey|secret_access_key|private-key|privatekey|keypem|key-pem)$/i;

const SECRET_TEXT: Array<[RegExp, string]> = [
  // A PEM private key, whole.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // `token: …`, `password: …`, `client-key-data: …` (YAML or a quoted JSON key): the rest of the line.
  [
    /((?:^|[\s{,"'])(?:token|id-token|refresh-token|password|client-key-data|client-key|secret)["']?\s*[:=]\s*)[^\n]*/gim,
    `$1${REDACTED}`,
  ],
  [/(\bBearer\s+)[^\s"',]+/gi, `$1${REDACTED}`],
  // OpenShift OAuth tokens and ServiceAccount JWTs carry no key name when quoted alone.
  [/\bsha256~[A-Za-z0-9_-]+/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** `text` with every credential it quotes replaced by [REDACTED]. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, by] of SECRET_TEXT) out = out.replace(re, by);
  return out;
}

/** A copy of a log object with secret-named keys and credential text redacted (errors become plain objects). */
export function redactValue(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactSecrets(v);
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error) {
    return {
      type: v.name,
      message: redactSecrets(v.message),
      ...(v.stack ? { stack: redactSecrets(v.stack) } : {}),
      ...(v.cause !== undefined ? { cause: redactValue(v.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) ? REDACTED : redactValue(x, depth + 1);
  return out;
}

export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = opts.level ?? process.env.CAPI_FN_LOG_LEVEL ?? 'info';
  return redactingChildren(
    pino(
      {
        level,
        base: opts.name ? { name: opts.name } : null,
        timestamp: pino.stdTimeFunctions.isoTime,
        // Errors are already plain, redacted objects (formatters.log); pino's own serializer would re-type them.
        serializers: { err: (e: unknown) => e },
        formatters: {
          log: (obj) => redactValue(obj) as Record<string, unknown>,
        },
        hooks: {
          logMethod(args, method) {
            method.apply(
              this,
              args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)) as Parameters<typeof method>,
            );
          },
        },
      },
      opts.destination ?? pino.destination(2),
    ),
  );
}

/** pino writes a child's bindings without passing them through the formatters: they are redacted here. */
function redactingChildren(p: pino.Logger): Logger {
  return {
    debug: p.debug.bind(p),
    info: p.info.bind(p),
    warn: p.warn.bind(p),
    error: p.error.bind(p),
    child: (bindings) => redactingChildren(p.child(redactValue(bindings) as Record<string, unknown>)),
  };
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
