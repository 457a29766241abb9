// infra/rbac/: one ServiceAccount per deployed function with the roles its declarations render to, current with
// the declarations (npm run gen:rbac), least privilege where it matters most (Secrets), and accepted by
// `kubectl apply --dry-run=server`.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { bridgeClusterRole, bridgeNamespacedRoles } from '../../functions/bridge/rbac.ts';
import { cloudFunctions, kubeIdentities } from '../../functions/registry.ts';
import { WEBHOOKS_FUNCTION_NAME } from '../../functions/webhooks/serve.ts';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import {
  allIdentityRules,
  allows,
  FUNCTIONS_NAMESPACE,
  type PolicyRule,
  roleName,
  serviceAccountName,
  staleRbacFiles,
} from '../../scripts/gen-rbac-rules.ts';
import { tempDir } from '../support/env.ts';
import { hasPeer } from '../support/peers.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'infra', 'rbac');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace: string }>;
}

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Doc;
  });
}

const DEPLOYED = [...cloudFunctions.map((f) => f.def.name), 'drift', 'bridge', WEBHOOKS_FUNCTION_NAME];

describe('infra/rbac', () => {
  it('is what the functions’ declarations render (npm run gen:rbac)', () => {
    expect(staleRbacFiles(ROOT), 'run npm run gen:rbac').toEqual([]);
  });

  it('passes gen-rbac --check', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/gen-rbac.ts'), '--check'], { cwd: ROOT });
    expect(stdout).toContain('infra/rbac/ up to date');
  });

  it('has one file per deployed function, the core, each provider’s, the operator, drift, bridge and webhooks', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(['00-namespace.yaml', ...DEPLOYED.map((f) => `${f}.yaml`)].sort());
    for (const p of ['aws', 'gcp', 'metal3'])
      expect(DEPLOYED).toEqual(expect.arrayContaining([`${p}-cluster`, `${p}-machine`]));
    expect(DEPLOYED).toEqual(expect.arrayContaining(['cluster', 'machineset', 'machine', 'cluster-capi-operator']));
  });

  it('binds each function’s own ServiceAccount in capi-fn-system, and nothing else, to its own roles', () => {
    for (const fn of DEPLOYED) {
      const all = docs(`${fn}.yaml`);
      const sa = all.filter((d) => d.kind === 'ServiceAccount');
      expect(sa.map((d) => d.metadata)).toMatchObject([
        { name: serviceAccountName(fn), namespace: FUNCTIONS_NAMESPACE },
      ]);
      const roles = all.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
      const bindings = all.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding');
      expect(roles.length).toBeGreaterThan(0);
      expect(bindings).toHaveLength(roles.length);
      for (const b of bindings) {
        expect(b.subjects).toEqual([
          { kind: 'ServiceAccount', name: serviceAccountName(fn), namespace: FUNCTIONS_NAMESPACE },
        ]);
        expect(b.roleRef).toMatchObject({
          kind: b.kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
          name: roleName(fn),
        });
        expect(b.metadata.namespace).toBe(
          roles.find((r) => r.kind === b.roleRef!.kind && r.metadata.namespace === b.metadata.namespace)?.metadata
            .namespace,
        );
      }
    }
  });

  it('never grants Secrets cluster-wide, nor lists or watches them outside the bridge', () => {
    for (const r of allIdentityRules()) {
      const secretRules = (rules: PolicyRule[]) =>
        rules.filter((x) => x.apiGroups.includes('') && x.resources.some((res) => res.startsWith('secrets')));
      expect(secretRules(r.cluster), r.name).toEqual([]);
      if (r.name === 'bridge') continue;
      for (const [ns, rules] of r.namespaced)
        for (const x of secretRules(rules)) expect(x.verbs, `${r.name} in ${ns}`).not.toContain('list');
    }
  });

  it('gives Secrets only to the functions that read them, in the namespaces (and by the names) they need', () => {
    const secretsIn = (fn: string) => {
      const r = allIdentityRules().find((x) => x.name === fn)!;
      return [...r.namespaced].flatMap(([ns, rules]) =>
        rules.filter((x) => x.resources.includes('secrets')).map((x) => `${ns}:${x.verbs}:${x.resourceNames ?? '*'}`),
      );
    };
    for (const fn of ['cluster', 'machineset', 'machine', 'metal3-cluster', 'aws-cluster'])
      expect(secretsIn(fn), fn).toEqual([]);
    // The orphan scan reaches each cluster's vCenter with that cluster's credentials.
    expect(secretsIn('drift').sort()).toEqual(['kube-system:get:vsphere-creds', 'openshift-cluster-api:get:*']);
    // The bootstrap data a machine is created with, in the workload namespace.
    for (const fn of ['aws-machine', 'gcp-machine']) expect(secretsIn(fn), fn).toEqual(['openshift-cluster-api:get:*']);
    // Metal3 also creates the Secrets a Metal3DataTemplate renders (it never reads them back: it checks existence).
    expect(secretsIn('metal3-machine'), 'metal3-machine').toEqual(['openshift-cluster-api:get,create:*']);
    expect(secretsIn('webhooks')).toEqual(['openshift-cluster-api:get:capi-fn-webhook-token']);
    // GCP's credentials Secret, which the GCPCluster may name.
    expect(secretsIn('gcp-cluster')).toEqual(['openshift-cluster-api:get:*']);
    expect(secretsIn('cluster-capi-operator').sort()).toEqual(
      [
        'kube-system:get:vsphere-creds',
        'openshift-cluster-api:get,create,update,delete:*',
        'openshift-machine-api:get:worker-user-data',
      ].sort(),
    );
  });

  it('lets the Lambda bridge do exactly what the in-cluster bridge may (the same watches and checkpoint)', () => {
    const lambda = allIdentityRules().find((r) => r.name === 'bridge')!;
    const inCluster = {
      name: 'bridge',
      cluster: bridgeClusterRole().rules as PolicyRule[],
      namespaced: new Map(
        (bridgeNamespacedRoles() as Doc[])
          .filter((d) => d.kind === 'Role')
          .map((d) => [d.metadata.namespace!, d.rules!] as const),
      ),
    };
    expect(lambda.cluster).toEqual(inCluster.cluster);
    for (const [ns, rules] of inCluster.namespaced)
      expect(lambda.namespaced.get(ns)).toEqual(expect.arrayContaining(rules));
    const checkpoint = {
      group: '',
      resource: 'configmaps',
      namespace: 'openshift-cluster-api',
      name: 'capi-fn-bridge',
    };
    for (const verb of ['get', 'update', 'create'] as const) expect(allows(lambda, { ...checkpoint, verb })).toBe(true);
    expect(allows(lambda, { ...checkpoint, verb: 'get', name: 'someone-else' })).toBe(false);
  });

  it('names objects where RBAC can (resourceNames), and never for list, watch or a plain create', () => {
    for (const r of allIdentityRules())
      for (const rule of [...r.cluster, ...[...r.namespaced.values()].flat()])
        if (rule.resourceNames) {
          expect(rule.verbs).not.toContain('list');
          expect(rule.verbs).not.toContain('watch');
          if (rule.resources.every((x) => !x.includes('/'))) expect(rule.verbs).not.toContain('create');
        }
  });

  it('derives every identity from a declaration (no function without one)', () => {
    expect(
      kubeIdentities()
        .map((i) => i.name)
        .sort(),
    ).toEqual([...DEPLOYED].sort());
  });
});

describe.skipIf(!hasPeer('kubectl'))('kubectl apply --dry-run=server -f infra/rbac/ (embedded API server)', () => {
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
    dir = tempDir('capi-fn-rbac-manifests-');
    await api.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(() => api?.stop());

  it('accepts every object once the namespaces exist', async () => {
    for (const ns of [FUNCTIONS_NAMESPACE, 'openshift-cluster-api', 'openshift-machine-api', 'kube-system'])
      await kubectl('create', 'namespace', ns).catch(() => undefined);
    const { stdout } = await kubectl('apply', '--dry-run=server', '-f', 'infra/rbac/');
    const lines = stdout.trim().split('\n');
    const expected = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => docs(f))
      .filter((d) => d.kind !== 'Namespace');
    expect(lines.filter((l) => l.endsWith('(server dry run)'))).toHaveLength(expected.length + 1);
  });
});
