// `capi-fn get machines|machinesets|clusters`: Cluster API and Machine API objects side by side,
// each row naming its fully qualified resource, so nobody mistakes one API's machines for the
// other's (the documented `oc get machine` pitfall, openshift-capi.md §4).
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isNotFound } from '../../../shared/kube/errors.ts';
import { clientFromCommand } from '../connect.ts';
import { ExitCodes } from '../exit-codes.ts';

interface Source {
  resource: string;
  apiVersion: string;
  kind: string;
  /** Where this API's objects live by default. */
  defaultNamespace: string;
  columns: Array<{ name: string; wide?: boolean; value: (o: KubeObject) => string }>;
}

const get = (o: unknown, path: string): string => {
  let v: unknown = o;
  for (const p of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v === undefined || v === null ? '' : String(v);
};

function age(o: KubeObject): string {
  const ts = o.metadata.creationTimestamp;
  if (!ts) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const CAPI_NS = 'openshift-cluster-api';
const MAPI_NS = 'openshift-machine-api';

export const SOURCES: Record<'machines' | 'machinesets' | 'clusters', Source[]> = {
  machines: [
    {
      resource: 'machines.cluster.x-k8s.io',
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Machine',
      defaultNamespace: CAPI_NS,
      columns: [
        { name: 'PHASE', value: (o) => get(o, 'status.phase') },
        { name: 'NODE', value: (o) => get(o, 'status.nodeRef.name') },
        { name: 'PROVIDERID', value: (o) => get(o, 'spec.providerID') },
        { name: 'CLUSTER', wide: true, value: (o) => get(o, 'spec.clusterName') },
        { name: 'AGE', value: age },
      ],
    },
    {
      resource: 'machines.machine.openshift.io',
      apiVersion: 'machine.openshift.io/v1beta1',
      kind: 'Machine',
      defaultNamespace: MAPI_NS,
      columns: [
        { name: 'PHASE', value: (o) => get(o, 'status.phase') },
        { name: 'NODE', value: (o) => get(o, 'status.nodeRef.name') },
        { name: 'PROVIDERID', value: (o) => get(o, 'spec.providerID') },
        {
          name: 'CLUSTER',
          wide: true,
          value: (o) => o.metadata.labels?.['machine.openshift.io/cluster-api-cluster'] ?? '',
        },
        { name: 'AGE', value: age },
      ],
    },
  ],
  machinesets: [
    {
      resource: 'machinesets.cluster.x-k8s.io',
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'MachineSet',
      defaultNamespace: CAPI_NS,
      columns: [
        { name: 'DESIRED', value: (o) => get(o, 'spec.replicas') },
        { name: 'CURRENT', value: (o) => get(o, 'status.replicas') },
        { name: 'READY', value: (o) => get(o, 'status.readyReplicas') },
        { name: 'AVAILABLE', value: (o) => get(o, 'status.availableReplicas') },
        { name: 'CLUSTER', wide: true, value: (o) => get(o, 'spec.clusterName') },
        { name: 'AGE', value: age },
      ],
    },
    {
      resource: 'machinesets.machine.openshift.io',
      apiVersion: 'machine.openshift.io/v1beta1',
      kind: 'MachineSet',
      defaultNamespace: MAPI_NS,
      columns: [
        { name: 'DESIRED', value: (o) => get(o, 'spec.replicas') },
        { name: 'CURRENT', value: (o) => get(o, 'status.replicas') },
        { name: 'READY', value: (o) => get(o, 'status.readyReplicas') },
        { name: 'AVAILABLE', value: (o) => get(o, 'status.availableReplicas') },
        {
          name: 'CLUSTER',
          wide: true,
          value: (o) => o.metadata.labels?.['machine.openshift.io/cluster-api-cluster'] ?? '',
        },
        { name: 'AGE', value: age },
      ],
    },
  ],
  clusters: [
    {
      resource: 'clusters.cluster.x-k8s.io',
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      defaultNamespace: CAPI_NS,
      columns: [
        { name: 'PHASE', value: (o) => get(o, 'status.phase') },
        {
          name: 'INFRASTRUCTURE',
          value: (o) =>
            get(o, 'spec.infrastructureRef.kind')
              ? `${get(o, 'spec.infrastructureRef.kind')}/${get(o, 'spec.infrastructureRef.name')}`
              : '',
        },
        {
          name: 'ENDPOINT',
          wide: true,
          value: (o) =>
            get(o, 'spec.controlPlaneEndpoint.host')
              ? `${get(o, 'spec.controlPlaneEndpoint.host')}:${get(o, 'spec.controlPlaneEndpoint.port')}`
              : '',
        },
        { name: 'AGE', value: age },
      ],
    },
  ],
};

export interface GetResult {
  rows: Array<{ source: Source; obj: KubeObject }>;
  notServed: string[];
}

export async function collect(
  kube: KubeClient,
  what: keyof typeof SOURCES,
  scope: { namespace?: string; all?: boolean },
): Promise<GetResult> {
  const out: GetResult = { rows: [], notServed: [] };
  for (const source of SOURCES[what]) {
    try {
      const ns = scope.all ? undefined : (scope.namespace ?? source.defaultNamespace);
      const list = await kube.listAll(
        { apiVersion: source.apiVersion, kind: source.kind },
        ns ? { namespace: ns } : {},
      );
      for (const obj of list.items) out.rows.push({ source, obj });
    } catch (e) {
      if (isNotFound(e)) out.notServed.push(source.resource);
      else throw e;
    }
  }
  return out;
}

export function formatTable(r: GetResult, wide: boolean): string {
  if (!r.rows.length) return '';
  const extra = r.rows[0]!.source.columns.filter((c) => wide || !c.wide).map((c) => c.name);
  const header = ['RESOURCE', 'NAMESPACE', 'NAME', ...extra];
  const body = r.rows.map(({ source, obj }) => [
    source.resource,
    obj.metadata.namespace ?? '',
    obj.metadata.name ?? '',
    ...source.columns.filter((c) => wide || !c.wide).map((c) => c.value(obj) || '-'),
  ]);
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  return `${rows.map((x) => x.map((c, i) => (i === x.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n')}\n`;
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('list Cluster API and Machine API objects side by side, with fully qualified resource names')
    .argument('<what>', 'machines | machinesets | clusters')
    .option('-n, --namespace <ns>', 'only this namespace (default: each API in its own namespace)')
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'yaml', 'json']))
    .action(
      async (what: string, opts: { namespace?: string; allNamespaces?: boolean; output?: string }, cmd: Command) => {
        if (!(what in SOURCES)) {
          process.stderr.write(`capi-fn get: unknown "${what}"; use machines, machinesets or clusters\n`);
          process.exitCode = ExitCodes.usage;
          return;
        }
        if (opts.namespace && opts.allNamespaces) {
          process.stderr.write('capi-fn get: use either -n or -A, not both\n');
          process.exitCode = ExitCodes.usage;
          return;
        }
        const kube = clientFromCommand(cmd);
        const r = await collect(kube, what as keyof typeof SOURCES, {
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
          all: Boolean(opts.allNamespaces),
        });
        if (opts.output === 'yaml' || opts.output === 'json') {
          const list = { apiVersion: 'v1', kind: 'List', items: r.rows.map((x) => x.obj) };
          process.stdout.write(opts.output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list));
        } else {
          const text = formatTable(r, opts.output === 'wide');
          if (text) process.stdout.write(text);
          else process.stderr.write(`No ${what} found.\n`);
        }
        for (const res of r.notServed) process.stderr.write(`note: ${res} is not served by this cluster\n`);
      },
    );
}
