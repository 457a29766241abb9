// One packaged Lambda function in a process of its own, as the Lambda service runs it: its own environment, its
// handler module (`LAMBDA_HANDLER`, e.g. functions/cluster/lambda.handler) loaded from the unzipped package
// (`LAMBDA_TASK_ROOT`) once per process, and one invocation at a time. The harness posts an event to
// `/invoke` (with the invocation's deadline) and gets the handler's result, or the error Lambda would report.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.LAMBDA_TASK_ROOT!;
const [file, exportName] = (() => {
  const h = process.env.LAMBDA_HANDLER!;
  const dot = h.lastIndexOf('.');
  return [h.slice(0, dot), h.slice(dot + 1)];
})();
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Promise<Handler> | undefined;
let seq = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const { event, timeoutMs } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      event: unknown;
      timeoutMs: number;
    };
    const deadline = Date.now() + timeoutMs;
    const context = {
      awsRequestId: `harness-${process.pid}-${++seq}`,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: false,
    };
    try {
      handler ??= import(pathToFileURL(join(root, `${file}.mjs`)).href).then((m) => m[exportName] as Handler);
      const result = await (await handler)(event, context);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
    } catch (e) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          errorType: (e as Error).name,
          errorMessage: (e as Error).message,
          // Lambda reports the trace too; a failure seen only on a loaded CI machine needs it.
          stackTrace: String((e as Error).stack ?? '').split('\n'),
        }),
      );
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
