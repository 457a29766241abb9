// How a reconcile step tells the runtime what its failure means.

/** Retrying cannot help (bad input the object itself carries); the event is dead-lettered with this reason. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** Not a failure: the step is waiting on something outside and wants to be called again after `delayMs`. */
export class RequeueError extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'RequeueError';
    this.delayMs = delayMs;
  }
}
