/** Exit codes of every `capi-fn` command (README, "Exit codes"). */
export const ExitCodes = {
  ok: 0,
  /** A check failed, the system could not start, or an operation failed. */
  failure: 1,
  /** Bad flags or arguments. */
  usage: 2,
} as const;
