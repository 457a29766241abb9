// infra/azure/deploy.sh's prune stage, run by bash with the real Azure CLI against the ARM emulator, whose routes
// for the resources the stage reads and deletes (tagged apps, plans and identities, role assignments, the
// deployment's outputs, queues, blob containers) are this file's: what an upgrade that removed a handler finds, and
// that the stage deletes exactly what the removed handler left. Skipped without `az`, failed in CI.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureApps, FUNCTION_TAG, PREFIX_TAG } from '../../scripts/deploy/azure.ts';
import { azureQueueName, poisonQueueName } from '../../shared/bus/azure-queue-codec.ts';
import { type AzCli, azAgainst, login } from '../emulators/arm/az-env.ts';
import { type ArmEmulator, startArmEmulator } from '../emulators/arm/server.ts';
import type { ArmResponse } from '../emulators/arm/state.ts';
import { hasPeer } from '../support/peers.ts';

const RA = '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments';
const SCRIPT = join(import.meta.dirname, '..', '..', 'infra', 'azure', 'deploy.sh');
const RG = 'rg1';
const PREFIX = 'capi1';
const BUS = 'capifnbusabc';
const HOST = 'capifnhostabc';
const REMOVED = 'removed-handler';
/** Another installation in the same resource group. */
const OTHER_PREFIX = 'other1';
const OTHER_BUS = 'capifnbusother';

/** What the resource group holds: resources by id (type, tags), identities' principals, role assignments. */
interface Cloud {
  resources: Map<string, { type: string; tags: Record<string, string>; principalId?: string }>;
  /** Role assignment id → its principal and the scope it was made at. */
  assignments: Map<string, { principal: string; scope: string }>;
  /** Queue names per storage account. */
  queues: Record<string, string[]>;
  containers: string[];
  /** A listing that answers 403 (a deployer without the right to read it). */
  fail?: 'resources' | 'assignments' | 'deployment';
  deletes: string[];
}

describe.skipIf(!hasPeer('az'))('infra/azure/deploy.sh prune, with the Azure CLI', () => {
  let arm: ArmEmulator;
  let cli: AzCli;
  let cloud: Cloud = { resources: new Map(), assignments: new Map(), queues: {}, containers: [], deletes: [] };

  const rgPath = (sub: string) => `/subscriptions/${sub}/resourceGroups/${RG}`;
  const ok = (body: unknown): ArmResponse => ({ status: 200, body });

  /** The routes the prune stage calls, answered as ARM answers them; any other request is the emulator's. */
  function routes(method: string, url: URL): ArmResponse | undefined {
    const sub = arm.subscriptionId;
    const path = decodeURIComponent(url.pathname);
    const lower = path.toLowerCase();
    const base = rgPath(sub).toLowerCase();
    const filter = url.searchParams.get('$filter') ?? '';
    const denied = (what: string): ArmResponse => ({
      status: 403,
      body: { error: { code: 'AuthorizationFailed', message: `not allowed to read ${what}` } },
    });
    if (method === 'DELETE') {
      cloud.deletes.push(path);
      cloud.resources.delete(path);
      return { status: 200, body: {} };
    }
    if (method !== 'GET') return undefined;
    // The group's listing, or the subscription's filtered to the group (as `az resource list -g` asks for it).
    const group = /resourceGroup eq '([^']+)'/.exec(filter)?.[1];
    if (lower === `${base}/resources` || (lower === `/subscriptions/${sub}/resources` && group?.toLowerCase() === RG)) {
      if (cloud.fail === 'resources') return denied('resources');
      const f = /tagName eq '([^']+)' and tagValue eq '([^']+)'/.exec(filter);
      const value = [...cloud.resources]
        .filter(([, r]) => !f || r.tags[f[1]!] === f[2])
        // A listing filtered by tag leaves the tags out (the ARM reference says so).
        .map(([id, r]) => ({ id, name: id.split('/').at(-1), type: r.type, ...(f ? {} : { tags: r.tags }) }));
      return ok({ value });
    }
    const identity = cloud.resources.get(path);
    if (identity?.principalId) return ok({ id: path, properties: { principalId: identity.principalId } });
    const assignments = (keep: (a: { principal: string; scope: string }) => boolean) =>
      ok({
        value: [...cloud.assignments]
          .filter(([, a]) => keep(a))
          .map(([id, a]) => ({ id, properties: { principalId: a.principal, scope: a.scope } })),
      });
    if (lower === `/subscriptions/${sub}/providers/microsoft.authorization/roleassignments`) {
      if (cloud.fail === 'assignments') return denied('role assignments');
      const principal = /principalId eq '([^']+)'/.exec(filter)?.[1];
      return assignments((a) => a.principal === principal);
    }
    const scope = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments$/i.exec(path)?.[1];
    if (scope && filter === 'atScope()')
      // At the scope and above it (inherited), as atScope() answers.
      return assignments((a) => scope.toLowerCase().startsWith(a.scope.toLowerCase()));
    const deployment = /\/providers\/microsoft\.resources\/deployments\/capi-fn-([^/]+)$/.exec(lower)?.[1];
    if (lower.startsWith(base) && deployment === PREFIX && cloud.fail === 'deployment')
      // An installation deployed before its deployment was named after its prefix.
      return {
        status: 404,
        body: { error: { code: 'DeploymentNotFound', message: `Deployment 'capi-fn-${PREFIX}' could not be found.` } },
      };
    if (lower.startsWith(base) && deployment === PREFIX)
      return ok({ properties: { outputs: { busAccount: { value: BUS }, hostAccount: { value: HOST } } } });
    if (lower.startsWith(base) && deployment === OTHER_PREFIX)
      return ok({ properties: { outputs: { busAccount: { value: OTHER_BUS }, hostAccount: { value: 'otherhost' } } } });
    const account = /\/storageaccounts\/([^/]+)\/queueservices\/default\/queues$/.exec(lower)?.[1];
    if (account) return ok({ value: (cloud.queues[account] ?? []).map((name) => ({ name })) });
    if (lower === `${base}/providers/microsoft.storage/storageaccounts/${HOST}/blobservices/default/containers`)
      return ok({ value: cloud.containers.map((name) => ({ name })) });
    return undefined;
  }

  /** A function's app, plan and identity as the template tags them (under `prefix`). */
  function functionResources(fn: string, prefix = PREFIX): Cloud['resources'] {
    const p = `${rgPath(arm.subscriptionId)}/providers`;
    const tags = { [PREFIX_TAG]: prefix, [FUNCTION_TAG]: fn };
    return new Map([
      [`${p}/Microsoft.Web/sites/${prefix}-${fn}`, { type: 'Microsoft.Web/sites', tags }],
      [`${p}/Microsoft.Web/serverfarms/${prefix}-${fn}-plan`, { type: 'Microsoft.Web/serverfarms', tags }],
      [
        `${p}/Microsoft.ManagedIdentity/userAssignedIdentities/${prefix}-${fn}`,
        { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', tags, principalId: `principal-${prefix}-${fn}` },
      ],
    ]);
  }

  const prune = (env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'bash',
        [SCRIPT, 'prune'],
        { env: { ...cli.env, RESOURCE_GROUP: RG, PREFIX, KEY_VAULT: 'kv1', ...env }, timeout: 300_000 },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
      ),
    );

  beforeAll(async () => {
    arm = await startArmEmulator({ routes: (m, u) => routes(m, u) });
    cli = await azAgainst(arm);
    await login(cli, arm);
    // `az resource list` reads the group before listing it.
    await cli.ok('group', 'create', '--name', RG, '--location', 'eastus');
  }, 180_000);
  afterAll(async () => {
    await arm?.stop();
    cli?.close();
  });

  /** A release's functions (two of them) and a removed one's leftovers, beside things that are not capi-fn's. */
  function upgradedCloud(): Cloud {
    const kept = ['machine', 'drift'];
    expect(azureApps().map((a) => a.fn)).toEqual(expect.arrayContaining(kept));
    expect(azureApps().map((a) => a.fn)).not.toContain(REMOVED);
    const resources: Cloud['resources'] = new Map([
      ...kept.flatMap((fn) => [...functionResources(fn)]),
      ...functionResources(REMOVED),
      // Another installation in the same resource group (its own prefix) that has no such function: not this one's.
      ...functionResources(REMOVED, OTHER_PREFIX),
      // Tagged with the prefix but by no function: not the stage's to judge.
      [
        `${rgPath(arm.subscriptionId)}/providers/Microsoft.Web/sites/${PREFIX}-hand-made`,
        { type: 'Microsoft.Web/sites', tags: { [PREFIX_TAG]: PREFIX } },
      ],
    ]);
    const removedPrincipal = `principal-${PREFIX}-${REMOVED}`;
    const q = azureQueueName(REMOVED);
    const queueScope = (name: string) =>
      `${rgPath(arm.subscriptionId)}/providers/Microsoft.Storage/storageAccounts/${BUS}/queueServices/default/queues/${name}`;
    return {
      resources,
      assignments: new Map([
        [`${RA}/ra-host`, { principal: removedPrincipal, scope: `${rgPath(arm.subscriptionId)}/providers/x/host` }],
        [`${RA}/ra-secret`, { principal: removedPrincipal, scope: '/subscriptions/s/vault/secret' }],
        [`${RA}/ra-machine`, { principal: `principal-${PREFIX}-machine`, scope: rgPath(arm.subscriptionId) }],
        // Made on the removed queue (the topic's sender role), and one inherited there from the resource group.
        // ARM may answer a scope in other letter case than it was made in.
        [`${RA}/ra-topic-on-queue`, { principal: 'principal-topic', scope: queueScope(q).toLowerCase() }],
        [`${RA}/ra-group-reader`, { principal: 'principal-reader', scope: rgPath(arm.subscriptionId) }],
      ]),
      queues: {
        [BUS]: [
          azureQueueName('machine'),
          poisonQueueName(azureQueueName('machine')),
          q,
          poisonQueueName(q),
          // In capi-fn's bus account but not named as its queues are.
          'orders',
        ],
        // The other installation's: its release may still have the handler.
        [OTHER_BUS]: [q, poisonQueueName(q)],
      },
      containers: ['deploy-machine', `deploy-${REMOVED}`, 'azure-webjobs-hosts'],
      deletes: [],
    };
  }

  it('deletes the app, plan, identity (with its role assignments), queues and package of a removed function, nothing else', async () => {
    cloud = upgradedCloud();
    const { code, stderr } = await prune();
    expect(code, stderr).toBe(0);
    const p = `${rgPath(arm.subscriptionId)}/providers`;
    const q = azureQueueName(REMOVED);
    expect(cloud.deletes).toEqual([
      `${p}/Microsoft.Web/sites/${PREFIX}-${REMOVED}`,
      `${p}/Microsoft.Web/serverfarms/${PREFIX}-${REMOVED}-plan`,
      `${RA}/ra-host`,
      `${RA}/ra-secret`,
      `${p}/Microsoft.ManagedIdentity/userAssignedIdentities/${PREFIX}-${REMOVED}`,
      `${RA}/ra-topic-on-queue`,
      `${p}/Microsoft.Storage/storageAccounts/${BUS}/queueServices/default/queues/${q}`,
      `${p}/Microsoft.Storage/storageAccounts/${BUS}/queueServices/default/queues/${poisonQueueName(q)}`,
      `${p}/Microsoft.Storage/storageAccounts/${HOST}/blobServices/default/containers/deploy-${REMOVED}`,
    ]);
    expect(stderr).toContain(`the Key Vault secret capifn-${REMOVED}-kubeconfig`);
  }, 300_000);

  it('DRY_RUN=1 reads what is there and prints the deletes without making one', async () => {
    cloud = upgradedCloud();
    const { code, stdout, stderr } = await prune({ DRY_RUN: '1' });
    expect(code, stderr).toBe(0);
    expect(cloud.deletes).toEqual([]);
    const printed = stdout.split('\n').filter((l) => l.startsWith('az rest --method delete'));
    expect(printed).toHaveLength(9);
    expect(printed[0]).toContain(`Microsoft.Web/sites/${PREFIX}-${REMOVED}`);
  }, 300_000);

  it.each([
    ['resources', 0, 'AuthorizationFailed'],
    // The identity's grants could not be listed: the identity stays (its app and plan are gone already), or its
    // role assignments would be left as "Identity not found".
    ['assignments', 2, 'AuthorizationFailed'],
    // No storage accounts to read queues and containers from: nothing at all is deleted.
    ['deployment', 0, 'DeploymentNotFound'],
  ] as const)(
    'a %s read that fails stops the run instead of passing for an empty one',
    async (fail, deleted, why) => {
      cloud = { ...upgradedCloud(), fail };
      const before = arm.state.requests.length;
      const { code, stderr } = await prune();
      expect(code, stderr).not.toBe(0);
      expect(stderr).toContain(why);
      expect(cloud.deletes).toHaveLength(deleted);
      expect(cloud.deletes.some((d) => d.includes('userAssignedIdentities'))).toBe(false);
      // It stopped there: the queues were not even listed.
      expect(arm.state.requests.slice(before).some((r) => r.path.toLowerCase().endsWith('/queues'))).toBe(false);
    },
    300_000,
  );
});
