// Assertions on the whole system's state: Machines, their instances and Nodes, observed through the
// API server and the simulated cloud, plus a watch that sees every intermediate Machine state.
import { expect } from 'vitest';
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { type CapiEnv, eventually } from '../support/env.ts';
import { CLUSTER, NS } from '../support/sample.ts';
import { scaleMachineSet } from '../support/scale.ts';

export const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' };
export const MACHINESET = { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' };
export const NODE = { apiVersion: 'v1', kind: 'Node' };

interface NodeObj extends KubeObject {
  spec?: { providerID?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function machines(kube: KubeClient): Promise<Machine[]> {
  return (
    await kube.listAll<Machine>(MACHINE, { namespace: NS, labelSelector: `cluster.x-k8s.io/cluster-name=${CLUSTER}` })
  ).items;
}

/** `kubectl scale` as a user runs it: read the scale, write it back; a write the handler made meanwhile means try again. */
export function scaleTo(kube: KubeClient, name: string, replicas: number): Promise<void> {
  return scaleMachineSet(kube, NS, name, replicas);
}

/** Exactly `n` Running Machines, each with one live instance and one Ready Node; nothing else alive. */
export async function waitConverged(env: CapiEnv, msName: string, n: number, timeoutMs = 60_000): Promise<Machine[]> {
  return eventually(
    `${n} Running machines with one instance and one Ready Node each`,
    async () => {
      const ms = await machines(env.kube);
      if (ms.length !== n) return false;
      if (!ms.every((m) => m.status?.phase === 'Running' && !m.metadata.deletionTimestamp)) return false;
      const live = env.cloud.live();
      if (live.length !== n) return false;
      const nodes = (await env.kube.listAll<NodeObj>(NODE)).items;
      if (nodes.length !== n) return false;
      for (const m of ms) {
        if (live.filter((i) => i.providerID === m.spec.providerID).length !== 1) return false;
        const node = nodes.find((x) => x.spec?.providerID === m.spec.providerID);
        if (!node || node.metadata.name !== m.status?.nodeRef?.name) return false;
        if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
      }
      const set = await env.kube.get<MachineSet>({ ...MACHINESET, namespace: NS, name: msName });
      const st = set.status;
      if (
        st?.replicas !== n ||
        st.readyReplicas !== n ||
        st.availableReplicas !== n ||
        st.observedGeneration !== set.metadata.generation
      )
        return false;
      return ms;
    },
    { timeoutMs },
  );
}

/**
 * Watches Machines and remembers every UID ever created and the largest number of non-deleting
 * Machines seen at once, so "never more than requested" can be asserted on intermediate states.
 */
export class MachineObserver {
  readonly uids = new Set<string>();
  peak = 0;
  private live = new Map<string, boolean>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  start(kube: KubeClient): void {
    this.loop = (async () => {
      let rv: string | undefined;
      while (!this.abort.signal.aborted) {
        try {
          for await (const ev of kube.watch<Machine>(MACHINE, {
            namespace: NS,
            signal: this.abort.signal,
            ...(rv ? { resourceVersion: rv } : {}),
          })) {
            const uid = ev.object.metadata.uid!;
            rv = ev.object.metadata.resourceVersion ?? rv;
            if (ev.type === 'DELETED') this.live.delete(uid);
            else {
              this.uids.add(uid);
              this.live.set(uid, !ev.object.metadata.deletionTimestamp);
            }
            this.peak = Math.max(this.peak, [...this.live.values()].filter(Boolean).length);
          }
        } catch {
          if (this.abort.signal.aborted) return;
          rv = undefined;
        }
      }
    })();
  }

  resetPeak(): void {
    this.peak = [...this.live.values()].filter(Boolean).length;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}

/** The scale walk the issue names; at each step exactly the requested machines, never more. */
export async function scaleWalk(
  env: CapiEnv,
  msName: string,
  steps: number[],
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const obs = new MachineObserver();
  obs.start(env.kube);
  let current = 0;
  let created = 0;
  try {
    for (const n of steps) {
      obs.resetPeak();
      await scaleTo(env.kube, msName, n);
      const ms = await waitConverged(env, msName, n, opts.timeoutMs);
      expect(obs.peak, `peak non-deleting machines while scaling ${current} → ${n}`).toBeLessThanOrEqual(
        Math.max(current, n),
      );
      created += Math.max(0, n - current);
      // Exactly the missing machines were created: never a duplicate, even with replays and crashes.
      expect(obs.uids.size, `machines ever created after scaling to ${n}`).toBe(created);
      expect(env.cloud.all().length, `instances ever created after scaling to ${n}`).toBe(created);
      expect(ms).toHaveLength(n);
      current = n;
    }
  } finally {
    await obs.stop();
  }
}
