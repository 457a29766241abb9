// A provider's AWS Lambda exports: `cluster` and `machine`, one Lambda handler per kit handler (serverless.yml
// names them `functions/providers/<p>/lambda.cluster` and `.machine`).
import { lambdaHandler } from '../../../shared/entrypoints/lambda.ts';
import { type HandlerDefinition, handlerNamed } from '../../../shared/runtime/handler.ts';

export function lambdaExports(handlers: Array<HandlerDefinition<unknown>>, provider: string) {
  return {
    cluster: lambdaHandler(handlerNamed(handlers, `${provider}-cluster`)),
    machine: lambdaHandler(handlerNamed(handlers, `${provider}-machine`)),
  };
}
