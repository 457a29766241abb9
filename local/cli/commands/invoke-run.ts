// The work behind the command, loaded only when it runs (keeps `--help` and the other commands fast).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { driftModeFromEnv, runDriftCheck } from '../../../functions/drift/drift.ts';
import { deployedOrphanScanners, orphanOptionsFromEnv } from '../../../functions/drift/scanners.ts';
import { cloudFunctions, driftCheckedHandlers } from '../../../functions/registry.ts';
import { handleWebhookRequest, infrastructureContext, WEBHOOK_PATHS } from '../../../functions/webhooks/index.ts';
import type { ResourceEvent } from '../../../shared/events/resource-event.ts';
import { SCHEDULE_TICK_TYPE } from '../../../shared/events/resource-event.ts';
import { dispatch } from '../../../shared/runtime/dispatch.ts';
import type { HandlerDefinition } from '../../../shared/runtime/handler.ts';
import { createLogger } from '../../../shared/runtime/logger.ts';
import { watchedKinds } from '../../../shared/runtime/watched-kinds.ts';
import { clientFromCommand } from '../connect.ts';
import { ExitCodes } from '../exit-codes.ts';

/** Handlers that hold state outside the cluster in this process kind cannot be invoked standalone. */
export const EMBEDDED_ONLY: Record<string, string> = {
  'local-machine': 'the simulated cloud lives inside `capi-fn up`; its events are handled there',
  'local-cluster': 'the local provider runs inside `capi-fn up`',
};

/** Every handler a cloud deployment runs, configured from the environment as their functions are. */
function handlers(): Array<HandlerDefinition<unknown>> {
  return cloudFunctions.map((f) => f.def);
}

export const WEBHOOKS = 'webhooks';

export function invokableHandlers(): string[] {
  return [...handlers().map((h) => h.name), 'drift', WEBHOOKS];
}

/** What is wrong with `raw` as a schedule tick, in words; undefined when it is one. */
export function scheduleTickProblem(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return `holds ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not an event object`;
  }
  const type = (raw as { type?: unknown }).type;
  if (type !== SCHEDULE_TICK_TYPE) return `has type ${JSON.stringify(type ?? null)}`;
  return undefined;
}

export interface InvokeOptions {
  event: string;
  attempt: string;
  mode: string;
}

export async function invoke(name: string, opts: InvokeOptions, cmd: Command): Promise<number> {
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
  if (name === 'drift') {
    const problem = scheduleTickProblem(raw);
    if (problem) {
      process.stderr.write(
        `capi-fn invoke: drift expects a ${SCHEDULE_TICK_TYPE} event (events/schedule-tick.json), but --event ${opts.event} ${problem}\n`,
      );
      return ExitCodes.usage;
    }
  }
  const kube = clientFromCommand(cmd);
  // One authenticated request first: an unreachable server or refused credentials is then one line naming the fix
  // (main's failure text), not a handler's retry result and a JSON log line.
  await kube.json({ method: 'GET', path: '/version' });
  const log = createLogger({ name: `invoke/${name}` });
  if (name === 'drift') {
    // No bus here: the resync events the check would publish are printed instead.
    const bus = {
      publish: async (events: ResourceEvent[]) => {
        for (const e of events)
          process.stdout.write(
            `${JSON.stringify({ resync: e.subject, resourceVersion: e.data.resourceVersion, ...(e.data.reason ? { reason: e.data.reason } : {}) })}\n`,
          );
      },
    };
    let orphanOptions: ReturnType<typeof orphanOptionsFromEnv>;
    let mode: ReturnType<typeof driftModeFromEnv>;
    try {
      orphanOptions = orphanOptionsFromEnv(process.env);
      mode = driftModeFromEnv(process.env);
    } catch (e) {
      process.stderr.write(`capi-fn invoke: ${(e as Error).message}\n`);
      return ExitCodes.usage;
    }
    const report = await runDriftCheck({
      kube,
      bus,
      kinds: watchedKinds(driftCheckedHandlers()),
      mode,
      source: 'capi-fn/invoke',
      log,
      // The clouds of the deployed providers, with the SDKs' standard credential chains, as the function does.
      scanners: await deployedOrphanScanners(kube),
      ...orphanOptions,
    });
    process.stdout.write(
      `${JSON.stringify({ mode: report.mode, resynced: report.resynced, drifted: report.drifted, missingKinds: report.missingKinds, orphans: report.orphans, orphansInGrace: report.orphansInGrace, scanErrors: report.scanErrors })}\n`,
    );
    return ExitCodes.ok;
  }
  if (name === WEBHOOKS) {
    if (opts.mode !== 'validate' && opts.mode !== 'mutate') {
      process.stderr.write(`capi-fn invoke: --mode ${opts.mode}: must be validate or mutate\n`);
      return ExitCodes.usage;
    }
    // The same path the API server calls: the AdmissionReview answer is printed as the webhook returns it.
    const res = await handleWebhookRequest(
      { method: 'POST', url: WEBHOOK_PATHS[opts.mode], body: JSON.stringify(raw) },
      { context: infrastructureContext(kube), log },
    );
    process.stdout.write(`${res.body}\n`);
    if (res.status !== 200) return ExitCodes.failure;
    // A denial is the webhook working, but scripts need to tell it from an admission.
    const allowed = (JSON.parse(res.body) as { response?: { allowed?: boolean } }).response?.allowed;
    return allowed ? ExitCodes.ok : ExitCodes.failure;
  }
  const def = handlers().find((h) => h.name === name);
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
