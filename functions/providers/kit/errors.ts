// One error taxonomy for every cloud: each provider's classifier maps its errors onto these classes, so a
// condition and a retry mean the same thing on AWS, GCP, Azure, OpenStack, vSphere and bare metal.

export type ErrorClass =
  /** The cloud asks us to slow down (429, RequestLimitExceeded, rateLimitExceeded). */
  | 'throttled'
  /** A 5xx, a lost connection, a timeout: the call may or may not have taken effect. */
  | 'transient'
  /** The thing asked about (or a thing the request refers to) does not exist (yet). */
  | 'not-found'
  /** The request was wrong: the user must change the spec (names `field` when it can). */
  | 'invalid-input'
  /** An account or project quota is used up. */
  | 'quota'
  /** The cloud has no capacity for this request right now (zone exhausted, spot price too low). */
  | 'capacity'
  /** Credentials missing, wrong, expired or without permission. */
  | 'auth'
  /** Another operation holds the resource (409, AnotherOperationInProgress): try again shortly. */
  | 'conflict'
  /** Not a cloud or network error at all: a bug or a dying process, for the runtime's retry. */
  | 'unknown';

export interface ClassifiedError {
  class: ErrorClass;
  /** The cloud's code (`InvalidAMIID.NotFound`, `quotaExceeded`), else a network code, else `HTTP <status>`. */
  code: string;
  message: string;
  httpStatus?: number;
  /**
   * True when the request certainly had no effect (the service answered with a client error, throttled or
   * refused it). A 5xx or a lost connection may have created an instance all the same.
   */
  definitive: boolean;
  /** The cloud said when to come back (`Retry-After`). */
  retryAfterMs?: number;
  /** The spec field the cloud blamed, when it names one. */
  field?: string;
  /**
   * The cloud ran the create and it failed for a reason no retry of this spec changes (vSphere: a clone task that
   * failed on a missing template, a full datastore, an invalid configuration). The machine fails as upstream's do
   * (failureReason CreateError), for a MachineHealthCheck or a person to replace; never set on a refused request.
   */
  terminal?: boolean;
}

export interface RetryPolicy {
  /** Delay before looking again when the user (or another team) must fix something. */
  badInputRetryMs: number;
}

/** How long to wait before the next attempt, by class (clients have already retried transient ones). */
export function retryDelayFor(e: Pick<ClassifiedError, 'class' | 'retryAfterMs'>, policy: RetryPolicy): number {
  if (e.retryAfterMs !== undefined && e.retryAfterMs > 0) return e.retryAfterMs;
  switch (e.class) {
    case 'throttled':
      return 10_000;
    case 'transient':
    case 'conflict':
      return 15_000;
    case 'not-found':
    case 'invalid-input':
      return policy.badInputRetryMs;
    case 'capacity':
      return 60_000;
    case 'quota':
      return 300_000;
    case 'auth':
      return 120_000;
    default:
      return 30_000;
  }
}

function advice(cls: ErrorClass, cloud: string, kind: string): string {
  switch (cls) {
    case 'throttled':
      return `${cloud} is throttling this account`;
    case 'transient':
      return `${cloud} or the network failed temporarily`;
    case 'not-found':
      return 'a referenced resource does not exist (yet); fix the reference or create the resource';
    case 'capacity':
      return `${cloud} has no capacity for this request in this zone right now`;
    case 'quota':
      return 'an account quota is exhausted; raise the quota or free capacity';
    case 'invalid-input':
      return `${cloud} rejected the request; fix the ${kind} spec (or its template and recreate the machine)`;
    case 'auth':
      return 'the credentials are missing, wrong or lack permission; fix them';
    case 'conflict':
      return 'another operation holds the resource';
    default:
      return 'unexpected error';
  }
}

/** The condition message: what was called, the cloud's code and message, and what happens next. */
export function describeFailure(
  op: string,
  e: ClassifiedError,
  retryMs: number,
  where: { cloud: string; kind: string },
): string {
  const field = e.field ? ` [${e.field}]` : '';
  return `${op} failed: ${e.code}: ${e.message}${field} (${advice(e.class, where.cloud, where.kind)}); retrying in ${Math.round(retryMs / 1000)}s`;
}

/** The failureMessage of a create that failed terminally: what failed, and what a person does about it. */
export function describeTerminal(op: string, e: ClassifiedError, where: { cloud: string; kind: string }): string {
  const field = e.field ? ` [${e.field}]` : '';
  return (
    `${op} failed: ${e.code}: ${e.message}${field}; ${where.cloud} will not make this machine from this spec, so ` +
    `it is not retried: fix the ${where.kind} template and delete the Machine (a MachineHealthCheck replaces it)`
  );
}

/** A condition severity for a failed call: passing trouble is a Warning, what needs a person is an Error. */
export function severityOf(cls: ErrorClass): 'Warning' | 'Error' {
  return cls === 'throttled' || cls === 'transient' || cls === 'conflict' ? 'Warning' : 'Error';
}

/** A condition reason from a cloud code: `InvalidVpcID.NotFound` stays, `HTTP 500` becomes `HTTP500`. */
export function reasonFromCode(code: string): string {
  return code.replace(/[^A-Za-z0-9.]/g, '') || 'Unknown';
}
