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

const SCRIPT = join(import.meta.dirname, '..', '..', 'infra', 'azure', 'deploy.sh');
const RG = 'rg1';
const PREFIX = 'capi1';
const BUS = 'capifnbusabc';
const HOST = 'capifnhostabc';
const REMOVED = 'removed-handler';

/** What the resource group holds: resources by id (type, tags), identities' principals, role assignments. */
interface Cloud {
  resources: Map<string, { type: string; tags: Record<string, string>; principalId?: string }>;
  /** Role assignment id → principal. */
  assignments: Map<string, string>;
  queues: string[];
  containers: string[];
  /** The resource listing answers 403 (a deployer without Microsoft.Resources/resources/read). */
  failList?: boolean;
  deletes: string[];
}

describe.skipIf(!hasPeer('az'))('infra/azure/deploy.sh prune, with the Azure CLI', () => {
  let arm: ArmEmulator;
  let cli: AzCli;
  let cloud: Cloud = { resources: new Map(), assignments: new Map(), queues: [], containers: [], deletes: [] };

  const rgPath = (sub: string) => `/subscriptions/${sub}/resourceGroups/${RG}`;
  const ok = (body: unknown): ArmResponse => ({ status: 200, body });

  /** The routes the prune stage calls; any other request is the emulator's. */
  function routes(method: string, url: URL): ArmResponse | undefined {
    const sub = arm.subscriptionId;
    const path = decodeURIComponent(url.pathname);
    const lower = path.toLowerCase();
    const base = rgPath(sub).toLowerCase();
    if (method === 'DELETE') {
      cloud.deletes.push(path);
      cloud.resources.delete(path);
      return { status: 200, body: {} };
    }
    if (method !== 'GET') return undefined;
    if (lower === `${base}/resources`) {
      if (cloud.failList)
        return {
          status: 403,
          body: { error: { code: 'AuthorizationFailed', message: 'not allowed to read resources' } },
        };
      const f = /tagName eq '([^']+)' and tagValue eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '');
      const value = [...cloud.resources]
        .filter(([, r]) => !f || r.tags[f[1]!] === f[2])
        .map(([id, r]) => ({ id, name: id.split('/').at(-1), type: r.type, tags: r.tags }));
      return ok({ value });
    }
    const identity = cloud.resources.get(path);
    if (identity?.principalId) return ok({ id: path, properties: { principalId: identity.principalId } });
    if (lower === `/subscriptions/${sub}/providers/microsoft.authorization/roleassignments`) {
      const principal = /principalId eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      return ok({
        value: [...cloud.assignments]
          .filter(([, p]) => p === principal)
          .map(([id, p]) => ({ id, properties: { principalId: p } })),
      });
    }
    if (lower === `${base}/providers/microsoft.resources/deployments/capi-fn`)
      return ok({
        properties: { outputs: { busAccount: { value: BUS }, hostAccount: { value: HOST } } },
      });
    if (lower === `${base}/providers/microsoft.storage/storageaccounts/${BUS}/queueservices/default/queues`)
      return ok({ value: cloud.queues.map((name) => ({ name })) });
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
      ...functionResources(REMOVED, 'other1'),
      // Tagged with the prefix but by no function: not the stage's to judge.
      [
        `${rgPath(arm.subscriptionId)}/providers/Microsoft.Web/sites/${PREFIX}-hand-made`,
        { type: 'Microsoft.Web/sites', tags: { [PREFIX_TAG]: PREFIX } },
      ],
    ]);
    const removedPrincipal = `principal-${PREFIX}-${REMOVED}`;
    const q = azureQueueName(REMOVED);
    return {
      resources,
      assignments: new Map([
        [
          '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/ra-host',
          removedPrincipal,
        ],
        ['/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/ra-secret', removedPrincipal],
        [
          '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/ra-machine',
          `principal-${PREFIX}-machine`,
        ],
      ]),
      queues: [
        azureQueueName('machine'),
        poisonQueueName(azureQueueName('machine')),
        q,
        poisonQueueName(q),
        // In capi-fn's bus account but not named as its queues are.
        'orders',
      ],
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
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/ra-host',
      '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/ra-secret',
      `${p}/Microsoft.ManagedIdentity/userAssignedIdentities/${PREFIX}-${REMOVED}`,
      `${p}/Microsoft.Storage/storageAccounts/${BUS}/queueServices/default/queues/${q}`,
      `${p}/Microsoft.Storage/storageAccounts/${BUS}/queueServices/default/queues/${poisonQueueName(q)}`,
      `${p}/Microsoft.Storage/storageAccounts/${HOST}/blobServices/default/containers/deploy-${REMOVED}`,
    ]);
    expect(stderr).toContain(`the Key Vault secret capifn-${REMOVED}-kubeconfig`);
  }, 300_000);

  it('a listing that fails stops the run instead of passing for an empty one', async () => {
    cloud = { ...upgradedCloud(), failList: true };
    const before = arm.state.requests.length;
    const { code, stderr } = await prune();
    expect(code, stderr).not.toBe(0);
    expect(stderr).toContain('AuthorizationFailed');
    expect(cloud.deletes).toEqual([]);
    // It stopped there: the queues were not even listed.
    expect(arm.state.requests.slice(before).some((r) => r.path.toLowerCase().endsWith('/queues'))).toBe(false);
  }, 300_000);
});
