// Bad input gets a clear condition and nothing is lost.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import { LOCAL_FAIL_PROVISIONING_ANNOTATION } from '../../shared/api/providers/local.ts';
import { type CapiEnv, eventually, startCapiEnv } from '../support/env.ts';
import { CLUSTER, createAll, NS, sampleObjects } from '../support/sample.ts';
import { MACHINE, MACHINESET, machines, waitConverged } from './observe.ts';

const MS = `${CLUSTER}-worker-local-a`;
const TEMPLATE = `${CLUSTER}-worker-template`;
let env: CapiEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('bad input', () => {
  it('a missing machine template gives MachinesCreated=False naming it, creates nothing, and recovers', async () => {
    env = await startCapiEnv();
    const objs = sampleObjects({ replicas: 2 });
    const template = objs.find((o) => o.kind === 'LocalMachineTemplate')!;
    await createAll(
      env.kube,
      objs.filter((o) => o !== template),
    );
    const cond = await eventually('MachinesCreated=False', async () => {
      const ms = await env!.kube.get<MachineSet>({ ...MACHINESET, namespace: NS, name: MS });
      const c = ms.status?.conditions?.find((x) => x.type === 'MachinesCreated');
      return c?.status === 'False' ? c : undefined;
    });
    expect(cond.reason).toBe('InfrastructureTemplateCloningFailed');
    expect(cond.message).toContain(`LocalMachineTemplate ${NS}/${TEMPLATE}`);
    expect(cond.message).toContain('not found');
    await env.bus.idle({ ignoreDelayedBeyondMs: 1_000, timeoutMs: 30_000 });
    expect(await machines(env.kube)).toEqual([]);
    expect(env.cloud.all()).toEqual([]);

    await createAll(env.kube, [template]);
    await waitConverged(env, MS, 2);
    const ms = await env.kube.get<MachineSet>({ ...MACHINESET, namespace: NS, name: MS });
    expect(ms.status?.conditions?.find((x) => x.type === 'MachinesCreated')?.status).toBe('True');
  });

  it('a Machine whose infrastructure object disappears after being ready is marked Failed with a reason', async () => {
    env = await startCapiEnv();
    await createAll(env.kube, sampleObjects({ replicas: 1 }));
    const [m] = await waitConverged(env, MS, 1);
    const infra = {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'LocalMachine',
      namespace: NS,
      name: m!.spec.infrastructureRef.name!,
    };
    // Remove the provider's finalizer so the object really vanishes, as if someone force-deleted it.
    await env.kube.patch(infra, { metadata: { finalizers: null } }, { type: 'merge' });
    await env.kube.delete(infra);
    const failed = await eventually('Machine phase Failed', async () => {
      const cur = await env!.kube.get<Machine>({ ...MACHINE, namespace: NS, name: m!.metadata.name! });
      return cur.status?.phase === 'Failed' ? cur : undefined;
    });
    expect(failed.status?.failureReason).toBe('InvalidConfiguration');
    expect(failed.status?.failureMessage).toContain(
      `LocalMachine ${NS}/${infra.name} has been deleted after being ready`,
    );
  });

  it('an injected provisioning failure shows on the LocalMachine and the Machine without an instance', async () => {
    env = await startCapiEnv();
    const objs = sampleObjects({ replicas: 1 });
    const tpl = objs.find((o) => o.kind === 'LocalMachineTemplate')! as { spec: { template: { metadata?: unknown } } };
    tpl.spec.template.metadata = { annotations: { [LOCAL_FAIL_PROVISIONING_ANNOTATION]: 'quota exceeded in local-a' } };
    await createAll(env.kube, objs);
    const failed = await eventually('Machine phase Failed', async () => {
      const [cur] = await machines(env!.kube);
      return cur?.status?.phase === 'Failed' ? cur : undefined;
    });
    expect(failed.status?.failureReason).toBe('CreateError');
    expect(failed.status?.failureMessage).toContain('quota exceeded in local-a');
    expect(env.cloud.all()).toEqual([]);
  });
});
