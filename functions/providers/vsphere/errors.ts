// What a vCenter fault means, in the kit's taxonomy. A SOAP fault and a failed task carry the vim25 fault type
// (`InvalidLogin`, `ManagedObjectNotFound`, `DuplicateName`, `InvalidPowerState`, `NoDiskSpace` …); a TLS
// failure is a trust problem the user fixes with a CA bundle or VSPHERE_INSECURE.
import type { ClassifiedError, ErrorClass } from '../kit/errors.ts';
import { VimFault, VimHttpError } from './soap.ts';

const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const TLS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const BY_FAULT: Record<string, ErrorClass> = {
  InvalidLogin: 'auth',
  NotAuthenticated: 'auth',
  NoPermission: 'auth',
  ManagedObjectNotFound: 'not-found',
  NotFound: 'not-found',
  FileNotFound: 'not-found',
  DuplicateName: 'conflict',
  FileAlreadyExists: 'conflict',
  AlreadyExists: 'conflict',
  InvalidState: 'conflict',
  InvalidPowerState: 'conflict',
  TaskInProgress: 'conflict',
  ConcurrentAccess: 'conflict',
  InsufficientResourcesFault: 'capacity',
  InsufficientCpuResourcesFault: 'capacity',
  InsufficientMemoryResourcesFault: 'capacity',
  InsufficientHostCapacityFault: 'capacity',
  InsufficientStorageSpace: 'capacity',
  NoDiskSpace: 'capacity',
  FileFault: 'invalid-input',
  CannotAccessFile: 'invalid-input',
  InvalidArgument: 'invalid-input',
  InvalidRequest: 'invalid-input',
  InvalidDeviceSpec: 'invalid-input',
  InvalidVmConfig: 'invalid-input',
  InvalidDatastore: 'invalid-input',
  InvalidDatastorePath: 'invalid-input',
  NotSupported: 'invalid-input',
  InvalidName: 'invalid-input',
  VmConfigFault: 'invalid-input',
  RequestCanceled: 'transient',
  HostCommunication: 'transient',
  HostNotConnected: 'transient',
  SystemError: 'transient',
  RuntimeFault: 'transient',
};

/**
 * A clone task's faults that no retry of the same spec gets past (the "template missing, datastore full,
 * invalid configuration"): the machine fails with CreateError. Capacity of hosts, conflicts and vCenter's own
 * trouble are retried.
 */
const TERMINAL_CLONE_FAULTS = new Set([
  'NotFound',
  'ManagedObjectNotFound',
  'FileNotFound',
  'FileFault',
  'CannotAccessFile',
  'NoDiskSpace',
  'InsufficientStorageSpace',
  'InvalidVmConfig',
  'InvalidDeviceSpec',
  'VmConfigFault',
  'InvalidDatastore',
  'InvalidDatastorePath',
  'InvalidArgument',
  'NotSupported',
]);

/** The failed CloneVM_Task of a machine: the task's fault, with the task it came from. */
export class CloneFailed extends Error {
  readonly fault: VimFault;
  readonly task: string;
  constructor(task: string, fault: VimFault) {
    super(`clone task ${task} failed: ${fault.message}`);
    this.name = 'CloneFailed';
    this.task = task;
    this.fault = fault;
  }
}

/** Whether a clone task's fault ends the machine (pure). */
export function isTerminalCloneFault(fault: string): boolean {
  return TERMINAL_CLONE_FAULTS.has(fault);
}

function codeOf(e: unknown, set: Set<string>, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 3) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && set.has(code)) return code;
  return codeOf((e as { cause?: unknown }).cause, set, depth + 1);
}

export function classifyVSphereError(e: unknown): ClassifiedError {
  if (e instanceof CloneFailed) {
    const c = classifyVSphereError(e.fault);
    // The task ran: vCenter did (and undid) the work, so nothing of it is in flight any more.
    return { ...c, message: e.message.slice(0, 300), definitive: true, terminal: isTerminalCloneFault(e.fault.fault) };
  }
  if (e instanceof VimFault) {
    const cls = BY_FAULT[e.fault] ?? 'invalid-input';
    return {
      class: cls,
      code: e.fault,
      message: e.message.split('\n')[0]!.slice(0, 300),
      ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
      // vCenter answered with a fault: the call did nothing, except a server-side error that may have.
      definitive: cls !== 'transient',
    };
  }
  if (e instanceof VimHttpError) {
    const cls: ErrorClass = e.status === 503 ? 'throttled' : e.status >= 500 ? 'transient' : 'invalid-input';
    return {
      class: cls,
      code: `HTTP ${e.status}`,
      message: e.message,
      httpStatus: e.status,
      definitive: e.status < 500,
    };
  }
  if (e instanceof Error && e.name === 'MissingCredentials')
    return { class: 'auth', code: 'MissingCredentials', message: e.message, definitive: true };
  const tls = codeOf(e, TLS);
  if (tls) {
    return {
      class: 'auth',
      code: tls,
      message: `vCenter's TLS certificate is not trusted (${tls}): give its CA bundle (VSPHERE_CA_FILE) or set VSPHERE_INSECURE=true`,
      definitive: true,
    };
  }
  const net = codeOf(e, NETWORK);
  if (net) return { class: 'transient', code: net, message: String((e as Error).message ?? e), definitive: false };
  return {
    class: 'unknown',
    code: (e as Error)?.name ?? 'Error',
    message: String((e as Error)?.message ?? e),
    definitive: false,
  };
}
