// infra/azure/: current with the declarations; one app and one managed identity per function, no key or
// connection string anywhere; and each app's entry (its built bundle, loaded as the Functions host loads it, with
// a recording stand-in for the host's @azure/functions-core) registers exactly its function, bound to a queue the
// template creates through a connection the app's settings define.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, entries } from '../../scripts/build.ts';
import { azureApps, azureSubscriptionNames, kubeconfigSecretName } from '../../scripts/deploy/azure.ts';
import { hosts, isRendered } from '../../scripts/deploy/hosts.ts';
import { staleFiles } from '../../scripts/deploy/rendered.ts';
import { azureQueueName } from '../../shared/bus/azure-queue-codec.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const azure = hosts.find((h) => h.name === 'azure')!;
// Inside the checkout, so a bundle's one external import resolves (@azure/functions-core: the stand-in below).
const OUT = join(ROOT, 'node_modules', '.cache', `capi-fn-azure-${process.pid}`);

type Resource = {
  type: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: ARM resource bodies; the tests read a few fields.
  identity?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  properties?: any;
  scope?: string;
  dependsOn?: string[];
};
const template = JSON.parse(readFileSync(join(ROOT, 'infra', 'azure', 'azuredeploy.json'), 'utf8')) as {
  resources: Resource[];
};
const sites = template.resources.filter((r) => r.type === 'Microsoft.Web/sites');
const settingsOf = (fn: string): Record<string, string> => {
  const site = sites.find((s) => s.name === `[format('{0}-${fn}', parameters('prefix'))]`)!;
  return Object.fromEntries(
    site.properties.siteConfig.appSettings.map((s: { name: string; value: string }) => [s.name, s.value]),
  );
};
const templateQueues = template.resources
  .filter((r) => r.type === 'Microsoft.Storage/storageAccounts/queueServices/queues')
  .map((r) => /default\/([a-z0-9-]+)'/.exec(r.name)![1]);

/** The Functions host's side of `@azure/functions`: what each registered function binds to. */
const PROBE = `
import Module from 'node:module';
const registered = [];
const core = {
  setProgrammingModel() {},
  registerFunction(metadata) { registered.push(metadata); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  log() {},
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
await import(process.argv[1]);
process.stdout.write(JSON.stringify(registered.map((m) => ({ name: m.name, bindings: m.bindings }))));
`;

interface Registered {
  name: string;
  bindings: Record<
    string,
    { type: string; direction: string; queueName?: string; connection?: string; schedule?: string }
  >;
}

function load(file: string, env: Record<string, string>): Promise<Registered[]> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE, file],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (e, out, err) => (e ? reject(new Error(`${file}: ${err}`)) : resolve(JSON.parse(out) as Registered[])),
    ),
  );
}

describe('infra/azure', () => {
  it('is what `npm run gen:deploy` renders from the handler declarations', () => {
    expect(staleFiles(ROOT, azure.dir, azure.render(), isRendered(azure))).toEqual([]);
  });

  it('deletes, on a re-run, the capi-fn subscriptions the template no longer has, and only those', async () => {
    const kept = azureSubscriptionNames();
    expect(kept.length).toBeGreaterThan(10);
    const script = join(ROOT, 'infra', 'azure', 'deploy.sh');
    const { stdout } = await run('bash', [script, 'infrastructure'], {
      env: {
        ...process.env,
        DRY_RUN: '1',
        // capifn-machineset-g1 was renamed (to -g1-types): a stale name that is a prefix of two kept ones.
        DRY_RUN_EXISTING: `capifn-removed-g1 capifn-machineset-g1 ${kept[0]} ${kept.at(-1)} someone-elses`,
        RESOURCE_GROUP: 'rg',
        PREFIX: 'p',
        KEY_VAULT: 'kv',
      },
    });
    const deletes = stdout.split('\n').filter((l) => l.includes('event-subscription delete'));
    expect(kept.filter((k) => k.startsWith('capifn-machineset-g1')).length).toBeGreaterThan(1);
    expect(deletes).toEqual([
      'az eventgrid topic event-subscription delete --resource-group rg --topic-name p-events --name capifn-removed-g1 --yes',
      'az eventgrid topic event-subscription delete --resource-group rg --topic-name p-events --name capifn-machineset-g1 --yes',
    ]);
    // The template's own, named in the file the script reads.
    const listed = readFileSync(join(ROOT, 'infra', 'azure', 'subscriptions.txt'), 'utf8')
      .trim()
      .split('\n');
    expect(listed).toEqual(kept);
  });

  it('gives every function an app of its own with its own identity and kubeconfig secret, and holds no key', () => {
    const text = readFileSync(join(ROOT, 'infra', 'azure', 'azuredeploy.json'), 'utf8');
    // No key function, connection string or SAS: identities only (Event Grid filters have a "key" field, not a secret).
    expect(text).not.toMatch(/listKeys|listAccountSas|AccountKey=|SharedAccessKey|DefaultEndpointsProtocol/i);
    expect(sites).toHaveLength(azureApps().length);
    const identities = new Set<string>();
    for (const a of azureApps()) {
      const site = sites.find((s) => s.name === `[format('{0}-${a.fn}', parameters('prefix'))]`)!;
      const [identity] = Object.keys(site.identity.userAssignedIdentities);
      identities.add(identity!);
      expect(site.properties.keyVaultReferenceIdentity).toBe(identity);
      const settings = settingsOf(a.fn);
      expect(settings.CAPI_FN_KUBECONFIG_DATA).toContain(`SecretName=${kubeconfigSecretName(a.fn)})`);
      expect(settings.CAPI_FN_FUNCTION).toBe(a.fn);
      expect(site.properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount).toBe(a.singleton ? 1 : 40);
      // The identity may read exactly its own kubeconfig secret.
      const kv = template.resources.filter(
        (r) =>
          r.type === 'Microsoft.Authorization/roleAssignments' &&
          r.scope?.includes('Microsoft.KeyVault/vaults/secrets') &&
          r.properties.principalId.includes(`'{0}-${a.fn}'`),
      );
      expect(kv.map((r) => r.scope)).toEqual([
        `[resourceId('Microsoft.KeyVault/vaults/secrets', parameters('keyVaultName'), '${kubeconfigSecretName(a.fn)}')]`,
      ]);
    }
    expect(identities.size).toBe(azureApps().length);
    for (const account of template.resources.filter((r) => r.type === 'Microsoft.Storage/storageAccounts'))
      expect(account.properties.allowSharedKeyAccess).toBe(false);
  });

  describe('each app’s entry under the Functions host', () => {
    const files = new Map<string, string>();
    beforeAll(async () => {
      mkdirSync(OUT, { recursive: true });
      const bundles = new Set(azureApps().map((a) => a.bundle));
      for (const e of entries().filter((x) => x.platform === 'azure' && bundles.has(x.name)))
        files.set(e.name, (await bundle(e, OUT)).file);
    }, 120_000);
    afterAll(() => rmSync(OUT, { recursive: true, force: true }));

    it('registers its own function only, bound to a queue the template creates, through the app’s identity-based connection', async () => {
      for (const a of azureApps()) {
        const settings = settingsOf(a.fn);
        const registered = await load(files.get(a.bundle)!, { CAPI_FN_FUNCTION: a.fn });
        const names = registered.map((r) => r.name);
        expect(
          names.every((n) => n === a.fn || n.startsWith(`${a.fn}-`)),
          `${a.fn}: ${names}`,
        ).toBe(true);
        expect(names, a.fn).toContain(a.fn);
        const triggers = registered.flatMap((r) => Object.values(r.bindings).filter((b) => b.direction === 'in'));
        for (const t of triggers.filter((b) => b.type === 'queueTrigger')) {
          expect(t.queueName, a.fn).toBe(azureQueueName(a.fn));
          expect(templateQueues).toContain(t.queueName);
          expect(templateQueues).toContain(`${t.queueName}-poison`);
          expect(settings[`${t.connection}__queueServiceUri`], a.fn).toBeDefined();
          expect(settings[`${t.connection}__clientId`], a.fn).toBeDefined();
        }
        const types = new Set(triggers.map((t) => t.type));
        if (a.fn === 'webhooks') expect([...types]).toEqual(['httpTrigger']);
        else if (a.fn === 'drift') expect([...types]).toEqual(['timerTrigger']);
        else expect(types.has('queueTrigger'), a.fn).toBe(true);
        if (a.fn === 'cluster-capi-operator') expect(types.has('timerTrigger')).toBe(true);
      }
    }, 120_000);
  });
});
