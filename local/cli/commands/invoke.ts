// `capi-fn invoke <handler> --event <file>`: run one handler once, exactly as a cloud function would,
// against the cluster in the kubeconfig, with an event such as the samples in events/.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runDriftCheck } from '../../../functions/drift/drift.ts';
import { coreHandlers } from '../../../functions/registry.ts';
import type { ResourceEvent } from '../../../shared/events/resource-event.ts';
import { SCHEDULE_TICK_TYPE } from '../../../shared/events/resource-event.ts';
import { dispatch } from '../../../shared/runtime/dispatch.ts';
import { createLogger } from '../../../shared/runtime/logger.ts';
import { watchedKinds } from '../../host/watched-kinds.ts';
import { clientFromCommand } from '../connect.ts';
import { ExitCodes } from '../exit-codes.ts';

/** Handlers that hold state outside the cluster in this process kind cannot be invoked standalone. */
const EMBEDDED_ONLY: Record<string, string> = {
  'local-machine': 'the simulated cloud lives inside `capi-fn up`; its events are handled there',
  'local-cluster': 'the local provider runs inside `capi-fn up`',
};

export function invokableHandlers(): string[] {
  return [...coreHandlers.map((h) => h.name), 'drift'];
}

export function registerInvoke(program: Command): void {
  program
    .command('invoke')
    .description(`run one handler once against the cluster in the kubeconfig (${invokableHandlers().join(', ')})`)
    .argument('<handler>', 'handler name')
    .requiredOption('--event <file>', 'event JSON (a CloudEvent as the bus delivers it; see events/)')
    .option('--attempt <n>', 'delivery attempt number to report to the handler', '1')
    .action(async (name: string, opts: { event: string; attempt: string }, cmd: Command) => {
      process.exitCode = await invoke(name, opts, cmd);
    });
}

async function invoke(name: string, opts: { event: string; attempt: string }, cmd: Command): Promise<number> {
  if (EMBEDDED_ONLY[name]) {
    process.stderr.write(`capi-fn invoke: ${name} cannot run standalone: ${EMBEDDED_ONLY[name]}\n`);
    return ExitCodes.usage;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(opts.event, 'utf8'));
  } catch (e) {
    process.stderr.write(`capi-fn invoke: cannot read --event ${opts.event}: ${(e as Error).message}\n`);
    return ExitCodes.usage;
  }
  const kube = clientFromCommand(cmd);
  const log = createLogger({ name: `invoke/${name}` });
  if (name === 'drift') {
    if ((raw as { type?: string }).type !== SCHEDULE_TICK_TYPE) {
      process.stderr.write(`capi-fn invoke: drift expects a ${SCHEDULE_TICK_TYPE} event (events/schedule-tick.json)\n`);
      return ExitCodes.usage;
    }
    // No bus here: the resync events the check would publish are printed instead.
    const bus = {
      publish: async (events: ResourceEvent[]) => {
        for (const e of events)
          process.stdout.write(`${JSON.stringify({ resync: e.subject, resourceVersion: e.data.resourceVersion })}\n`);
      },
    };
    const report = await runDriftCheck({ kube, bus, kinds: watchedKinds(coreHandlers), source: 'capi-fn/invoke', log });
    process.stdout.write(
      `${JSON.stringify({ resynced: report.resynced, missingKinds: report.missingKinds, orphans: report.orphans })}\n`,
    );
    return ExitCodes.ok;
  }
  const def = coreHandlers.find((h) => h.name === name);
  if (!def) {
    process.stderr.write(
      `capi-fn invoke: unknown handler "${name}"; choose one of ${invokableHandlers().join(', ')}\n`,
    );
    return ExitCodes.usage;
  }
  const result = await dispatch(
    def,
    raw,
    { attempt: Number(opts.attempt) || 1 },
    {
      kube,
      log,
      requeue: async (ev, delayMs) => {
        process.stdout.write(`${JSON.stringify({ requeue: ev.subject, afterMs: delayMs })}\n`);
      },
    },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.status === 'done' ? ExitCodes.ok : ExitCodes.failure;
}
