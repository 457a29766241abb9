// The port's lookups over a scripted vCenter: a VM by its instance UUID, a clone in flight by its recorded task,
// and — after a crash between CloneVM_Task and any record of it — by the template's clone events, so that no
// second clone starts while vCenter is still making the first.
import { describe, expect, it } from 'vitest';
import type { VSphereMachine } from '../../../shared/api/providers/vsphere.ts';
import { CREATE_INTENT_ANNOTATION } from '../kit/intent.ts';
import type { ObjectProps, TaskInfo, VimEvent, VSphereApi } from './client.ts';
import { CloneFailed, classifyVSphereError } from './errors.ts';
import { cloneInFlight, vspherePort } from './port.ts';
import { type MoRef, moRef, VimFault } from './soap.ts';

const UID = '7d0c4b9e-3f51-4c1a-9a55-0c2b7e4d9f10';
const identity = { machineUid: UID, clusterName: 'ocp', namespace: 'openshift-cluster-api', name: 'ocp-worker-x7k2p' };
// The port reads the clock itself, so the events are dated from the real now (a fixed date ages past the horizon).
const now = new Date();
const ev = (type: string, o: Partial<VimEvent>, minutesAgo = 1): VimEvent => ({
  type,
  createdTime: new Date(now.getTime() - minutesAgo * 60_000).toISOString(),
  ...o,
});

function machine(o: { intent?: boolean; taskRef?: string; providerID?: string } = {}): VSphereMachine {
  return {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    kind: 'VSphereMachine',
    metadata: {
      name: identity.name,
      namespace: identity.namespace,
      ...(o.intent
        ? {
            annotations: {
              [CREATE_INTENT_ANNOTATION]: JSON.stringify({
                key: `${UID}-1`,
                attempt: 1,
                startedAt: new Date().toISOString(),
              }),
            },
          }
        : {}),
    },
    spec: { template: 'rhcos', datacenter: 'DC0', ...(o.providerID ? { providerID: o.providerID } : {}) },
    ...(o.taskRef ? { status: { taskRef: o.taskRef, taskKind: 'clone' } } : {}),
  };
}

/** A vCenter without the VM (still cloning), answering the lookups the port makes, and recording them. */
function vcenter(o: { events?: VimEvent[]; task?: Partial<TaskInfo> } = {}) {
  const calls: string[] = [];
  const api = {
    server: 'vc',
    findByUuid: async () => {
      calls.push('findByUuid');
      return undefined;
    },
    findByInventoryPath: async (p: string) => {
      calls.push(`findByInventoryPath ${p}`);
      return moRef('VirtualMachine', 'vm-10');
    },
    queryEvents: async () => {
      calls.push('queryEvents');
      return o.events ?? [];
    },
    taskInfo: async (task: MoRef) => {
      calls.push('taskInfo');
      return { task, state: 'running', ...o.task } as TaskInfo;
    },
    retrieve: async (): Promise<ObjectProps[]> => [],
  } as unknown as VSphereApi;
  return { api, calls };
}

describe('a clone in flight', () => {
  it('by its events: begun for this name and not finished, and not older than the horizon', () => {
    const begun = ev('VmBeingClonedEvent', { destName: identity.name });
    expect(cloneInFlight([begun], identity.name, now)).toBe(true);
    expect(cloneInFlight([begun, ev('VmClonedEvent', { vmName: identity.name }, 0)], identity.name, now)).toBe(false);
    expect(cloneInFlight([begun, ev('VmCloneFailedEvent', { destName: identity.name }, 0)], identity.name, now)).toBe(
      false,
    );
    expect(cloneInFlight([ev('VmBeingClonedEvent', { destName: 'another-machine' })], identity.name, now)).toBe(false);
    expect(cloneInFlight([ev('VmBeingClonedEvent', { destName: identity.name }, 120)], identity.name, now)).toBe(false);
  });

  it('a crash after CloneVM_Task, before any record: found by the template’s clone events, never cloned again', async () => {
    const vc = vcenter({ events: [ev('VmBeingClonedEvent', { destName: identity.name }, 0)] });
    const [found] = await vspherePort(vc.api, { im: machine({ intent: true }) }).find(identity);
    expect(found).toMatchObject({
      state: 'pending',
      owner: { machineUid: UID },
      nativeState: `cloning (${identity.name})`,
    });
    expect(vc.calls).toEqual(['findByUuid', 'findByInventoryPath DC0/vm/rhcos', 'queryEvents']);
    // The clone never reached vCenter: nothing in flight, the create may go ahead.
    expect(await vspherePort(vcenter().api, { im: machine({ intent: true }) }).find(identity)).toEqual([]);
  });

  it('no intent, or a VM already recorded: no event lookup at all', async () => {
    const fresh = vcenter();
    expect(await vspherePort(fresh.api, { im: machine() }).find(identity)).toEqual([]);
    expect(fresh.calls).toEqual(['findByUuid']);
    const recorded = vcenter({ events: [ev('VmBeingClonedEvent', { destName: identity.name })] });
    const im = machine({ intent: true, providerID: 'vsphere://4216b9a0-6a53-9d6e-1b1c-2f0a4c0f6f11' });
    expect(await vspherePort(recorded.api, { im }).find(identity)).toEqual([]);
    expect(recorded.calls).toEqual(['findByUuid']);
  });

  it('by its recorded task, across invocations', async () => {
    const running = vcenter();
    const [found] = await vspherePort(running.api, { im: machine({ taskRef: 'task-42' }) }).find(identity);
    expect(found).toMatchObject({ id: 'clone:task-42', state: 'pending', raw: { task: { value: 'task-42' } } });
    const failed = vcenter({ task: { state: 'error' } });
    expect(await vspherePort(failed.api, { im: machine({ taskRef: 'task-42' }) }).find(identity)).toEqual([]);
  });

  it('a recorded clone that failed for good stands for the machine as failed (CreateError); a passing fault does not', async () => {
    const full = vcenter({
      task: { state: 'error', error: new VimFault('NoDiskSpace', 'datastore LocalDS_0 is full') },
    });
    const [found] = await vspherePort(full.api, { im: machine({ taskRef: 'task-42' }) }).find(identity);
    expect(found).toMatchObject({
      id: 'clone:task-42',
      state: 'failed',
      failureReason: 'CreateError',
      failureMessage: expect.stringContaining('clone task task-42 failed: NoDiskSpace: datastore LocalDS_0 is full'),
    });
    // Being deleted: nothing was made, nothing to wait for.
    const deleting = machine({ taskRef: 'task-42' });
    deleting.metadata.deletionTimestamp = new Date().toISOString();
    expect(await vspherePort(full.api, { im: deleting }).find(identity)).toEqual([]);
    const busy = vcenter({ task: { state: 'error', error: new VimFault('HostCommunication', 'host unreachable') } });
    expect(await vspherePort(busy.api, { im: machine({ taskRef: 'task-42' }) }).find(identity)).toEqual([]);
  });

  it('a clone that fails within the create: a terminal CloneFailed for template, datastore and configuration faults', async () => {
    const api = {
      cloneVM: async () => moRef('Task', 'task-7'),
      taskInfo: async (task: MoRef) =>
        ({
          task,
          state: 'error',
          error: new VimFault('InvalidArgument', 'A specified parameter was not correct: spec.location.pool'),
        }) as TaskInfo,
    } as unknown as VSphereApi;
    const req = {
      template: moRef('VirtualMachine', 'vm-1'),
      folder: moRef('Folder', 'f'),
      name: 'x',
      spec: { xsi: 'VirtualMachineCloneSpec' },
    };
    const e = await vspherePort(api, { cloneWaitMs: 10 })
      .create(req as never, `${UID}-1`, identity)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CloneFailed);
    expect(classifyVSphereError(e)).toMatchObject({
      class: 'invalid-input',
      code: 'InvalidArgument',
      definitive: true,
      terminal: true,
      message: 'clone task task-7 failed: A specified parameter was not correct: spec.location.pool',
    });
    for (const [fault, terminal] of [
      ['NotFound', true],
      ['NoDiskSpace', true],
      ['InvalidVmConfig', true],
      ['InsufficientMemoryResourcesFault', false],
      ['FileAlreadyExists', false],
      ['SystemError', false],
    ] as const)
      expect(classifyVSphereError(new CloneFailed('task-1', new VimFault(fault, fault))).terminal, fault).toBe(
        terminal,
      );
    // Outside a clone task no fault is terminal: a refused call is retried or fixed by the user.
    expect(classifyVSphereError(new VimFault('NoDiskSpace', 'full')).terminal).toBeUndefined();
  });
});
