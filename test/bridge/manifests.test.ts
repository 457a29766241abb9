// infra/bridge/: the generated ClusterRole is current, the manifests fit together (one ServiceAccount,
// the roles it is bound to, the Deployment that runs `capi-fn bridge`), every field is one Kubernetes
// knows, and `kubectl apply --dry-run=server` accepts the folder.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CHECKPOINT_NAME, deployedWatchedKinds } from '../../functions/bridge/deployed.ts';
import { CLUSTER_ROLE_FILE, rbacFilesAreCurrent } from '../../functions/bridge/rbac.ts';
import { computeDeployedWatchedKinds, WATCH_LIST_FILE } from '../../functions/bridge/watch-list.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { knownResource } from '../../shared/kube/resources.ts';
import { tempDir } from '../support/env.ts';
import { hasPeer } from '../support/peers.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'infra', 'bridge');
const NS = 'openshift-cluster-api';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};

function manifests(): Array<{ file: string; doc: Manifest }> {
  const out: Array<{ file: string; doc: Manifest }> = [];
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const d of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      out.push({ file, doc: d.toJS() as Manifest });
    }
  }
  return out;
}

function one<T = Manifest>(kind: string, name?: string): T {
  const found = manifests().filter((m) => m.doc.kind === kind && (!name || m.doc.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!.doc as T;
}

/**
 * Field names checked against the Kubernetes API types (client-node's models), as a real API server's
 * strict field validation does. The embedded server's built-in schemas stop at the pod template, so
 * a misspelt probe or securityContext field would pass its dry run unnoticed.
 */
function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value as object).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`));
  const model = (
    k8s as unknown as Record<string, { getAttributeTypeMap?: () => Array<{ baseName: string; type: string }> }>
  )[type];
  if (!model?.getAttributeTypeMap || typeof value !== 'object') return [];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value as object).flatMap(([k, v]) =>
    fields.has(k) ? unknownFields(v, fields.get(k)!, `${path}.${k}`) : [`${path}.${k}`],
  );
}

describe(CLUSTER_ROLE_FILE, () => {
  it('is what the deployed handlers’ watches render (npm run gen:bridge-rbac)', () => {
    expect(rbacFilesAreCurrent(ROOT), 'run npm run gen:bridge-rbac').toBe(true);
    // The bridge's own watch list is the generated table (its bundle carries no handler): the same kinds.
    expect(deployedWatchedKinds()).toEqual(computeDeployedWatchedKinds());
  });

  it('passes gen-bridge-rbac --check', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/gen-bridge-rbac.ts'), '--check'], {
      cwd: ROOT,
    });
    expect(stdout).toContain(
      `${CLUSTER_ROLE_FILE}, infra/bridge/namespaced-roles.yaml and ${WATCH_LIST_FILE} up to date`,
    );
  });

  type Rules = Manifest & { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
  const resourcesOf = (k: { group: string; version: string; kind: string }) =>
    `${knownResource(k.group ? `${k.group}/${k.version}` : k.version, k.kind)!.plural}.${k.group}`;
  const grantedBy = (role: Rules) =>
    role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((x) => `${x}.${g}`))).sort();

  it('grants get, list and watch on every kind the bridge watches cluster-wide, and nothing else', () => {
    const role = one<Rules>('ClusterRole');
    const watched = deployedWatchedKinds().filter((k) => !k.namespaces);
    expect(grantedBy(role)).toEqual([...new Set(watched.map(resourcesOf))].sort());
    for (const r of role.rules) expect(r.verbs).toEqual(['get', 'list', 'watch']);
    // Secrets are never read cluster-wide.
    expect(grantedBy(role)).not.toContain('secrets.');
  });

  it('grants the namespace-scoped kinds (Secrets) only in their namespaces, by Role', () => {
    const scoped = deployedWatchedKinds().filter((k) => k.namespaces);
    expect(scoped.map((k) => k.kind)).toEqual(['Secret']);
    const roles = manifests()
      .map((m) => m.doc)
      .filter((d) => d.kind === 'Role' && d.metadata.name === 'capi-fn-bridge-watch') as Rules[];
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(scoped[0]!.namespaces);
    for (const r of roles) expect(grantedBy(r)).toEqual(['secrets.']);
  });
});

describe('infra/bridge manifests', () => {
  const TYPES: Record<string, string> = {
    ServiceAccount: 'V1ServiceAccount',
    ClusterRole: 'V1ClusterRole',
    ClusterRoleBinding: 'V1ClusterRoleBinding',
    Role: 'V1Role',
    RoleBinding: 'V1RoleBinding',
    Deployment: 'V1Deployment',
  };

  it('use only fields Kubernetes knows, and only the expected kinds', () => {
    const all = manifests();
    expect([...new Set(all.map((m) => m.doc.kind))].sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'ServiceAccount'].sort(),
    );
    const problems = all.flatMap(({ file, doc }) => unknownFields(doc, TYPES[doc.kind]!, file));
    expect(problems).toEqual([]);
  });

  it('catch a misspelt field (the check itself works)', () => {
    const d = structuredClone(one('Deployment')) as Manifest & {
      spec: { template: { spec: { containers: object[] } } };
    };
    (d.spec.template.spec.containers[0] as Record<string, unknown>).readinesProbe = {};
    expect(unknownFields(d, 'V1Deployment', 'deployment')).toEqual([
      'deployment.spec.template.spec.containers[0].readinesProbe',
    ]);
  });

  it('bind one ServiceAccount to the ClusterRole and to the checkpoint Role, in the Deployment’s namespace', () => {
    const sa = one('ServiceAccount');
    const deploy = one<Manifest & { spec: { template: { spec: { serviceAccountName: string } } } }>('Deployment');
    expect(sa.metadata).toMatchObject({ name: 'capi-fn-bridge', namespace: NS });
    expect(deploy.metadata.namespace).toBe(NS);
    expect(deploy.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    const subject = { kind: 'ServiceAccount', name: sa.metadata.name, namespace: NS };
    const crb = one<Manifest & { roleRef: object; subjects: object[] }>('ClusterRoleBinding');
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'capi-fn-bridge' });
    expect(crb.subjects).toEqual([subject]);
    const rb = one<Manifest & { roleRef: object; subjects: object[] }>('RoleBinding', 'capi-fn-bridge-checkpoint');
    const role = one<Manifest & { rules: object[] }>('Role', 'capi-fn-bridge-checkpoint');
    expect(rb.metadata.namespace).toBe(NS);
    expect(role.metadata.namespace).toBe(NS);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(rb.subjects).toEqual([subject]);
    // Exactly what Checkpoint does: GET and PUT its ConfigMap by name, POST it the first time.
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [DEFAULT_CHECKPOINT_NAME],
        verbs: ['get', 'update'],
      },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    ]);
  });

  it('run one bridge at a time (Recreate), non-root on a read-only root, probed, bounded, bus from a Secret', () => {
    const d = one<k8s.V1Deployment & Manifest>('Deployment');
    expect(d.spec?.replicas).toBe(1);
    expect(d.spec?.strategy).toEqual({ type: 'Recreate' });
    const pod = d.spec!.template.spec!;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0]!;
    expect(c.command?.slice(0, 3)).toEqual(['node', 'bin/capi-fn.js', 'bridge']);
    const healthPort = c.command![c.command!.indexOf('--health-port') + 1];
    expect(c.ports).toEqual([{ name: 'health', containerPort: Number(healthPort), protocol: 'TCP' }]);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    const env = new Map((c.env ?? []).map((e) => [e.name, e]));
    expect(env.get('CAPI_FN_BUS_CONFIG')?.valueFrom?.secretKeyRef).toMatchObject({ name: 'capi-fn-bridge-bus' });
    expect(env.get('CAPI_FN_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
  });
});

describe.skipIf(!hasPeer('kubectl'))('kubectl apply --dry-run=server -f infra/bridge/ (embedded API server)', () => {
  let api: ApiServer;
  let dir: string;
  // The API server answers from this process: kubectl must run asynchronously.
  const kubectl = (...args: string[]) =>
    run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'kubectl-cache'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });

  beforeAll(async () => {
    api = await startApiServer({});
    dir = tempDir('capi-fn-bridge-manifests-');
    await api.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(() => api?.stop());

  it('is refused while the namespace does not exist, accepted once it does, and creates nothing', async () => {
    const refused = await kubectl('apply', '--dry-run=server', '-f', 'infra/bridge/').then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(refused?.stderr).toContain(`namespaces "${NS}" not found`);

    await kubectl('create', 'namespace', NS);
    await kubectl('create', 'namespace', 'openshift-machine-api');
    await kubectl('create', 'namespace', 'kube-system').catch(() => undefined);
    const { stdout } = await kubectl('apply', '--dry-run=server', '-f', 'infra/bridge/');
    expect(stdout.trim().split('\n').sort()).toEqual(
      [
        'clusterrole.rbac.authorization.k8s.io/capi-fn-bridge created (server dry run)',
        'clusterrolebinding.rbac.authorization.k8s.io/capi-fn-bridge created (server dry run)',
        'deployment.apps/capi-fn-bridge created (server dry run)',
        'role.rbac.authorization.k8s.io/capi-fn-bridge-checkpoint created (server dry run)',
        ...['kube-system', 'openshift-cluster-api', 'openshift-machine-api'].flatMap(() => [
          'role.rbac.authorization.k8s.io/capi-fn-bridge-watch created (server dry run)',
          'rolebinding.rbac.authorization.k8s.io/capi-fn-bridge-watch created (server dry run)',
        ]),
        'rolebinding.rbac.authorization.k8s.io/capi-fn-bridge-checkpoint created (server dry run)',
        'serviceaccount/capi-fn-bridge created (server dry run)',
      ].sort(),
    );
    const left = await kubectl('get', 'deployments,serviceaccounts,roles', '-n', NS, '-o', 'name');
    expect(left.stdout).not.toContain('capi-fn-bridge');
  });
});
