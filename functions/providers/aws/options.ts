// Timing of the AWS handlers. Defaults suit real EC2; tests shorten them (behaviour, not speed, is
// what they assert).

export interface AwsProviderTimings {
  /**
   * How long a claimed launch blocks others (intent.ts). Must exceed a RunInstances call including
   * SDK retries, and fit in the runtime's retry budget (waiters wait by retrying: 8 attempts back off
   * for about 1+2+…+64 s). A launch still running after it may be repeated: harmless on EC2 thanks
   * to the ClientToken; on moto the tag lookup then finds both and terminates the younger.
   */
  launchLeaseMs: number;
  /** After a launch, how long DescribeInstances may not know the instance yet (eventual consistency). */
  notFoundGraceMs: number;
  /** Re-check interval while input is bad or a dependency is missing (no Kubernetes event announces a fix in AWS). */
  badInputRetryMs: number;
  /** Re-check interval while an instance is pending, stopping or shutting down. */
  transitionPollMs: number;
  /** Re-check interval while deletion waits for termination. */
  terminatePollMs: number;
  /** Re-check interval for an AWSCluster whose region or network is missing or unreachable. */
  clusterRetryMs: number;
}

export const DEFAULT_TIMINGS: AwsProviderTimings = {
  launchLeaseMs: 60_000,
  notFoundGraceMs: 120_000,
  badInputRetryMs: 30_000,
  transitionPollMs: 5_000,
  terminatePollMs: 10_000,
  clusterRetryMs: 30_000,
};

export const FIELD_MANAGER = 'capi-fn-aws-provider';
