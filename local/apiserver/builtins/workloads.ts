// The kinds `kubectl apply --prune` looks up by default (its built-in allowlist: Endpoints, ReplicationController,
// batch Jobs and CronJobs, Ingresses, DaemonSets, ReplicaSets, StatefulSets) and nothing in capi-fn runs: stored,
// listed and watched as kube-apiserver serves them, with their status as a subresource; no controller acts on them.
// (A DaemonSet is also what a drain checks a Pod's controller against.)
import { ageColumn, nameColumn } from '../table.ts';
import { builtin, open, root } from './helpers.ts';

interface Stored {
  group: string;
  kind: string;
  resource: string;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
}

const stored = (k: Stored) =>
  builtin({
    group: k.group,
    version: 'v1',
    resource: k.resource,
    kind: k.kind,
    namespaced: true,
    ...(k.shortNames ? { shortNames: k.shortNames } : {}),
    ...(k.categories ? { categories: k.categories } : {}),
    status: k.status ?? true,
    tracksGeneration: k.status ?? true,
    schema: root(k.kind, k.status === false ? { subsets: open() } : { spec: open(), status: open() }),
    columns: [nameColumn, ageColumn],
  });

export const workloadDefs = [
  stored({ group: '', kind: 'Endpoints', resource: 'endpoints', shortNames: ['ep'], status: false }),
  stored({
    group: '',
    kind: 'ReplicationController',
    resource: 'replicationcontrollers',
    shortNames: ['rc'],
    categories: ['all'],
  }),
  stored({ group: 'batch', kind: 'Job', resource: 'jobs', categories: ['all'] }),
  stored({ group: 'batch', kind: 'CronJob', resource: 'cronjobs', shortNames: ['cj'], categories: ['all'] }),
  stored({ group: 'networking.k8s.io', kind: 'Ingress', resource: 'ingresses', shortNames: ['ing'] }),
  stored({ group: 'apps', kind: 'DaemonSet', resource: 'daemonsets', shortNames: ['ds'], categories: ['all'] }),
  stored({ group: 'apps', kind: 'ReplicaSet', resource: 'replicasets', shortNames: ['rs'], categories: ['all'] }),
  stored({ group: 'apps', kind: 'StatefulSet', resource: 'statefulsets', shortNames: ['sts'], categories: ['all'] }),
];
