// The live progress of `capi-fn up`: each MachineSet's desired/ready counts and each Machine's phase.
// A compact view redrawn in place on a terminal; one plain line per change otherwise (logs, CI).
import type { Machine } from '../../shared/api/capi/machine.ts';
import type { MachineSet } from '../../shared/api/capi/machineset.ts';
import type { KubeObject } from '../../shared/api/meta.ts';
import type { KubeClient } from '../../shared/kube/client.ts';
import { isNotFound } from '../../shared/kube/errors.ts';

export interface ViewModel {
  /** ClusterOperator `cluster-api`: its conditions as `Type=Status` and the Available message. */
  operator: { summary: string; message: string } | undefined;
  /** Whether the Cluster API kinds are served (the operator installs them under TechPreviewNoUpgrade). */
  installed: boolean;
  machineSets: Array<{ ns: string; name: string; desired: number; current: number; ready: number; available: number }>;
  machines: Array<{
    ns: string;
    name: string;
    phase: string;
    node: string;
    providerID: string;
    created: string;
    deleting: boolean;
  }>;
}

interface OperatorView {
  status?: { conditions?: Array<{ type: string; status: string; message?: string }> };
}

export async function readModel(kube: KubeClient): Promise<ViewModel> {
  const empty = { items: [] };
  const servedOrEmpty = <T>(p: Promise<{ items: T[] }>) =>
    p.then(
      (r) => ({ r, served: true }),
      (e: unknown) => {
        if (isNotFound(e)) return { r: empty as { items: T[] }, served: false };
        throw e;
      },
    );
  const [s, m, co] = await Promise.all([
    servedOrEmpty(kube.listAll<MachineSet>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineSet' })),
    servedOrEmpty(kube.listAll<Machine>({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine' })),
    kube
      .find<KubeObject & OperatorView>({
        apiVersion: 'config.openshift.io/v1',
        kind: 'ClusterOperator',
        name: 'cluster-api',
      })
      .catch(() => undefined),
  ]);
  const sets = s.r;
  const machines = m.r;
  const conds = co?.status?.conditions ?? [];
  const operator = co
    ? {
        summary: ['Available', 'Progressing', 'Degraded', 'Upgradeable']
          .map((t) => `${t}=${conds.find((c) => c.type === t)?.status ?? '?'}`)
          .join(' '),
        message: conds.find((c) => c.type === 'Available')?.message ?? '',
      }
    : undefined;
  return {
    operator,
    installed: s.served && m.served,
    machineSets: sets.items
      .map((s) => ({
        ns: s.metadata.namespace!,
        name: s.metadata.name!,
        desired: s.spec.replicas ?? 1,
        current: s.status?.replicas ?? 0,
        ready: s.status?.readyReplicas ?? 0,
        available: s.status?.availableReplicas ?? 0,
      }))
      .sort((a, b) => `${a.ns}/${a.name}`.localeCompare(`${b.ns}/${b.name}`)),
    machines: machines.items
      .map((m) => ({
        ns: m.metadata.namespace!,
        name: m.metadata.name!,
        phase: m.status?.phase ?? 'Pending',
        node: m.status?.nodeRef?.name ?? '',
        providerID: m.spec.providerID ?? '',
        created: m.metadata.creationTimestamp ?? '',
        deleting: Boolean(m.metadata.deletionTimestamp),
      }))
      .sort((a, b) => `${a.ns}/${a.name}`.localeCompare(`${b.ns}/${b.name}`)),
  };
}

function age(created: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (!created || Number.isNaN(s)) return '';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2)))
      .join('')
      .trimEnd(),
  );
}

function operatorLine(m: ViewModel): string {
  if (!m.operator) return 'clusteroperator/cluster-api: not reported yet';
  return `clusteroperator/cluster-api: ${m.operator.summary}${m.operator.message ? ` — ${m.operator.message}` : ''}`;
}

/** The compact view, as lines. */
export function renderView(m: ViewModel, now: number): string[] {
  const lines: string[] = [operatorLine(m)];
  if (!m.installed) return [...lines, 'Cluster API kinds are not installed (yet): see the operator above.'];
  if (!m.machineSets.length && !m.machines.length) return [...lines, 'No MachineSets or Machines yet.'];
  lines.push(
    ...table([
      ['MACHINESET', 'DESIRED', 'CURRENT', 'READY', 'AVAILABLE'],
      ...m.machineSets.map((s) => [
        `${s.ns}/${s.name}`,
        String(s.desired),
        String(s.current),
        String(s.ready),
        String(s.available),
      ]),
    ]),
  );
  lines.push('');
  lines.push(
    ...table([
      ['MACHINE', 'PHASE', 'NODE', 'AGE'],
      ...m.machines.map((x) => [
        `${x.ns}/${x.name}`,
        x.deleting && x.phase !== 'Deleting' ? `${x.phase} (deleting)` : x.phase,
        x.node || '-',
        age(x.created, now),
      ]),
    ]),
  );
  return lines;
}

/** Plain lines describing what changed between two models (non-TTY output). */
export function describeChanges(prev: ViewModel | undefined, next: ViewModel): string[] {
  const out: string[] = [];
  if (
    next.operator &&
    (prev?.operator?.summary !== next.operator.summary || prev?.operator?.message !== next.operator.message)
  ) {
    out.push(operatorLine(next));
  }
  const p = new Map((prev?.machineSets ?? []).map((s) => [`${s.ns}/${s.name}`, s]));
  for (const s of next.machineSets) {
    const key = `${s.ns}/${s.name}`;
    const before = p.get(key);
    if (
      !before ||
      before.desired !== s.desired ||
      before.current !== s.current ||
      before.ready !== s.ready ||
      before.available !== s.available
    ) {
      out.push(
        `machineset ${key}: desired ${s.desired}, current ${s.current}, ready ${s.ready}, available ${s.available}`,
      );
    }
    p.delete(key);
  }
  for (const key of p.keys()) out.push(`machineset ${key}: deleted`);
  const pm = new Map((prev?.machines ?? []).map((x) => [`${x.ns}/${x.name}`, x]));
  for (const x of next.machines) {
    const key = `${x.ns}/${x.name}`;
    const before = pm.get(key);
    if (!before) out.push(`machine ${key}: ${x.phase}${x.node ? ` (node ${x.node})` : ''}`);
    else if (before.phase !== x.phase || before.node !== x.node)
      out.push(`machine ${key}: ${before.phase} → ${x.phase}${x.node ? ` (node ${x.node})` : ''}`);
    pm.delete(key);
  }
  for (const key of pm.keys()) out.push(`machine ${key}: deleted`);
  return out;
}

export interface LiveView {
  stop(): Promise<void>;
}

export function startLiveView(
  kube: KubeClient,
  o: { out: NodeJS.WriteStream | NodeJS.WritableStream; tty: boolean; intervalMs?: number },
): LiveView {
  let prev: ViewModel | undefined;
  let drawn = 0;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    let model: ViewModel;
    try {
      model = await readModel(kube);
    } catch {
      return; // The API may be restarting; the next tick tries again.
    }
    if (stopped) return;
    if (o.tty) {
      const lines = renderView(model, Date.now());
      // Move back over the previous frame and clear it, then draw the new one in place.
      o.out.write(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${lines.join('\n')}\n`);
      drawn = lines.length;
    } else {
      for (const l of describeChanges(prev, model)) o.out.write(`${new Date().toISOString()} ${l}\n`);
    }
    prev = model;
  };
  const timer = setInterval(() => {
    running = running.then(tick);
  }, o.intervalMs ?? 500);
  running = running.then(tick);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
