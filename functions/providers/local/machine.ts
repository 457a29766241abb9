// LocalMachine on the kit: the spec → request translation against the simulated cloud's catalogue, and the
// providerID. Everything else (intent, lookup, finalizer, conditions, deletion) is the kit's.

import {
  LOCAL_FAIL_PROVISIONING_ANNOTATION,
  LOCAL_PROVIDER_ID_PREFIX,
} from '../../../shared/api/providers/constants.ts';
import type { LocalMachine } from '../../../shared/api/providers/local.ts';
import { parseDuration } from '../../../shared/reconcile/duration.ts';
import type { InfraMachineDefinition, Prepared } from '../kit/definition.ts';
import type { ClassifiedError } from '../kit/errors.ts';
import { type LocalCloudApi, LocalCloudError, type RunRequest } from './cloud.ts';
import { localPort } from './port.ts';

export const LOCAL_MACHINE = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'LocalMachine' };
export const LOCAL_MACHINE_FINALIZER = 'localmachine.infrastructure.cluster.x-k8s.io';
export const LOCAL_FIELD_MANAGER = 'capi-local-provider';

/** `local:///<zone>/<id>` → the instance ID. */
export function localInstanceId(providerID: string | undefined): string | undefined {
  if (!providerID?.startsWith(LOCAL_PROVIDER_ID_PREFIX)) return undefined;
  return providerID.slice(LOCAL_PROVIDER_ID_PREFIX.length).split('/').pop() || undefined;
}

export function classifyLocalError(e: unknown): ClassifiedError {
  if (e instanceof LocalCloudError) {
    return {
      class: e.status === 404 ? 'not-found' : 'invalid-input',
      code: e.code,
      message: e.message,
      httpStatus: e.status,
      definitive: true,
    };
  }
  // Anything else is not the simulated cloud speaking: a bug or an injected crash, for the runtime to retry.
  return {
    class: 'unknown',
    code: (e as Error)?.name ?? 'Error',
    message: String((e as Error)?.message ?? e),
    definitive: false,
  };
}

export const localMachineDefinition: InfraMachineDefinition<LocalCloudApi, RunRequest, LocalMachine> = {
  name: 'local',
  machine: LOCAL_MACHINE,
  clusterKind: 'LocalCluster',
  finalizer: LOCAL_MACHINE_FINALIZER,
  fieldManager: LOCAL_FIELD_MANAGER,
  cloudName: 'the simulated cloud',
  instanceNoun: 'instance',
  recordedIdField: 'spec.providerID',
  // The simulated cloud deduplicates creates by the Machine UID and is consistent at once.
  timings: {
    launchLeaseMs: 0,
    notFoundGraceMs: 0,
    transitionPollMs: 500,
    terminatePollMs: 500,
    badInputRetryMs: 2_000,
  },
  port: (cloud) => localPort(cloud),
  classify: classifyLocalError,
  locate: () => undefined,
  recordedId: (lm) => localInstanceId(lm.spec.providerID),
  recordIdentity(spec, inst) {
    spec.providerID = inst.providerID;
    if (inst.failureDomain) spec.failureDomain = inst.failureDomain;
  },
  async prepare(s): Promise<Prepared<RunRequest>> {
    const { im: lm, machine } = s;
    const injected = lm.metadata.annotations?.[LOCAL_FAIL_PROVISIONING_ANNOTATION];
    if (injected !== undefined) {
      return {
        ok: false,
        terminal: true,
        reason: 'InstanceProvisionFailed',
        message: `provisioning failed (injected by the ${LOCAL_FAIL_PROVISIONING_ANNOTATION} annotation${injected ? `: ${injected}` : ''})`,
      };
    }
    const cat = await s.client.catalogue();
    if (lm.spec.image && !cat.images.includes(lm.spec.image)) {
      return {
        ok: false,
        reason: 'ImageNotFound',
        message: `spec.image "${lm.spec.image}" is not an image of the simulated cloud (it has ${cat.images.join(', ')}); set spec.image to one of them`,
      };
    }
    const zone = machine.spec.failureDomain ?? lm.spec.failureDomain ?? 'local-a';
    if (!cat.zones.includes(zone)) {
      const field = machine.spec.failureDomain ? 'Machine spec.failureDomain' : 'spec.failureDomain';
      return {
        ok: false,
        reason: 'ZoneNotFound',
        message: `${field} "${zone}" is not a zone (network) of the simulated cloud (it has ${cat.zones.join(', ')})`,
      };
    }
    const cpus = lm.spec.cpus ?? 2;
    const memoryMiB = lm.spec.memoryMiB ?? 4096;
    if (cpus > cat.maxCpus || memoryMiB > cat.maxMemoryMiB) {
      return {
        ok: false,
        reason: 'InstanceTypeNotFound',
        message: `no instance size of the simulated cloud has spec.cpus ${cpus} and spec.memoryMiB ${memoryMiB} (the largest has ${cat.maxCpus} CPUs and ${cat.maxMemoryMiB} MiB)`,
      };
    }
    return {
      ok: true,
      request: {
        key: s.machineUid,
        name: lm.metadata.name!,
        zone,
        cpus,
        memoryMiB,
        ...(lm.spec.bootDelay !== undefined ? { bootDelayMs: parseDuration(lm.spec.bootDelay) ?? 0 } : {}),
        ...(lm.spec.image ? { image: lm.spec.image } : {}),
      },
    };
  },
};
