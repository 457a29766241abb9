// The AWS provider's handlers: AWSCluster and AWSMachine on EC2, from the kit. `capi-fn up --platform aws`
// and the serverless deployment take them from `awsProviderHandlers()`.
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import type { KitTimings } from '../kit/definition.ts';
import { infraClusterHandler, infraMachineHandler } from '../kit/handlers.ts';
import { type Ec2Api, Ec2Cloud } from './cloud.ts';
import { awsClusterDefinition } from './cluster.ts';
import { awsMachineDefinition } from './machine.ts';

export interface AwsProviderOptions {
  /** The EC2 client (default: the SDK with the standard credential/region/endpoint chain). */
  cloud?: () => Ec2Api;
  timings?: Partial<KitTimings>;
}

/** Both AWS handlers. With no `cloud`, they share one SDK-backed client per process. */
export function awsProviderHandlers(o: AwsProviderOptions = {}): Array<HandlerDefinition<unknown>> {
  let shared: Ec2Api | undefined;
  const client = o.cloud ?? (() => (shared ??= new Ec2Cloud()));
  const t = o.timings ? { timings: o.timings } : {};
  return [
    infraClusterHandler(awsClusterDefinition, { client, ...t }),
    infraMachineHandler(awsMachineDefinition, { client, ...t }),
  ] as Array<HandlerDefinition<unknown>>;
}
