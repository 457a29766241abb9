// What each function's bundle carries (esbuild's metafile, with the options `npm run build` uses): a
// function carries its own platform's packages and no other cloud's SDK; only the AWS provider's
// bundles carry the EC2 client and only the Azure provider's the ARM clients (besides the drift check and the
// bridge, which carry every provider's handlers), and the webhooks (on the API server's critical path) no bus or
// queue SDK.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { allInstallableCrdNames, kindsToInstall } from '../../functions/operator/platform.ts';
import { bundle, bundledPackages, type Entry, entries } from '../../scripts/build.ts';
import { buildTimeData } from '../../scripts/build-time-data.ts';
import { lazyBuiltins } from '../../scripts/lazy-builtins.ts';

const FOREIGN: Record<Entry['platform'], RegExp> = {
  aws: /^@(azure|azure-rest|google-cloud)\//,
  azure: /^@(google-cloud|aws-sdk)\//,
  gcp: /^@(azure|azure-rest|aws-sdk)\//,
};
const isAwsProvider = (e: Entry) => e.entry.startsWith('functions/providers/aws/');
const isAzureProvider = (e: Entry) => e.entry.startsWith('functions/providers/azure/');
const carriesEveryProvider = (e: Entry) => ['drift', 'bridge'].includes(e.name);
/** The Azure provider's cloud API (ARM through the official clients and @azure/identity), not a platform SDK. */
const ARM_CLIENTS =
  /^@azure\/(arm-compute|arm-network|identity|msal-node|msal-common|core-lro|core-client|core-rest-pipeline|core-util|core-auth|core-tracing|core-process|logger|abort-controller)$|^@azure-rest\/core-client$/;

describe('function bundles', () => {
  const all = entries();

  it('cover every deployed function on each platform', () => {
    const names = (p: Entry['platform']) => all.filter((e) => e.platform === p).map((e) => e.name);
    expect(names('aws')).toEqual(
      expect.arrayContaining(['aws-cluster', 'aws-machine', 'cluster-capi-operator', 'webhooks', 'drift', 'bridge']),
    );
    for (const p of ['azure', 'gcp'] as const)
      expect(names(p)).toEqual(expect.arrayContaining(['providers-aws', 'cluster-capi-operator', 'webhooks']));
  });

  it.each(all.map((e) => [`${e.platform}/${e.name}`, e] as const))('%s', async (_name, e) => {
    const { bundled, external } = await bundledPackages(e);
    const used = [...bundled, ...external];
    // No other cloud's SDK (the AWS provider's EC2 client and the Azure provider's ARM clients are their cloud
    // APIs, not platform SDKs).
    const foreign = used.filter(
      (p) =>
        FOREIGN[e.platform].test(p) &&
        !(isAwsProvider(e) && p.startsWith('@aws-sdk/')) &&
        !((isAzureProvider(e) || carriesEveryProvider(e)) && ARM_CLIENTS.test(p)) &&
        // The drift check's orphan scan calls every deployed provider's cloud (EC2 for AWS) on any host.
        !(carriesEveryProvider(e) && p.startsWith('@aws-sdk/')),
    );
    expect(foreign).toEqual([]);
    if (isAzureProvider(e))
      expect(used).toEqual(expect.arrayContaining(['@azure/arm-compute', '@azure/arm-network', '@azure/identity']));
    else if (!carriesEveryProvider(e)) expect(used).not.toContain('@azure/arm-compute');
    if (isAwsProvider(e)) expect(used).toContain('@aws-sdk/client-ec2');
    // The drift check and the bridge read every handler's watches, the provider's included.
    else if (!['drift', 'bridge'].includes(e.name)) expect(used).not.toContain('@aws-sdk/client-ec2');
    if (e.name === 'webhooks') {
      // On Lambda the function reads its kubeconfig from Secrets Manager (the SDK ships with the runtime).
      expect(
        used.filter(
          (p) =>
            /^@aws-sdk\/|^@azure\/storage-queue$|^@google-cloud\/pubsub$/.test(p) &&
            !(e.platform === 'aws' && p === '@aws-sdk/client-secrets-manager'),
        ),
      ).toEqual([]);
    }
  });

  // Node's internal modules a bundle loads when imported (process.moduleLoadList), in a process of its own.
  const loadedBy = (file: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(file)}); console.log(JSON.stringify(process.moduleLoadList))`,
        ],
        { encoding: 'utf8' },
      ),
    ) as string[];

  it('import Node built-ins without running their lazy getters (no undici, no WebCrypto at load)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-fn-bundle-'));
    symlinkSync(join(import.meta.dirname, '..', '..', 'node_modules'), join(dir, 'node_modules'));
    const machine = all.find((e) => e.platform === 'aws' && e.name === 'machine')!;
    const { file } = await bundle(machine, dir);
    const heavy = (list: string[]) => list.filter((m) => /undici|webcrypto/.test(m));
    const loaded = loadedBy(file);
    expect(heavy(loaded)).toEqual([]);
    // Nor what only an unused export or a rare path needs: fs's stream getters, the exec credential plugin's spawn.
    expect(loaded.filter((m) => /internal\/fs\/streams|child_process/.test(m))).toEqual([]);
    // The same import without the plugin loads them: what the plugin is for.
    const plain = join(dir, 'plain.mjs');
    const src = join(dir, 'src.mjs');
    await build({
      stdin: {
        contents:
          "import http from 'node:http'; import { createHash } from 'node:crypto'; export { http, createHash };",
        resolveDir: dir,
        sourcefile: src,
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: plain,
    });
    expect(heavy(loadedBy(plain)).length).toBeGreaterThan(0);
    const shimmed = join(dir, 'shimmed.mjs');
    await build({
      stdin: {
        contents:
          "import http from 'node:http'; import { createHash, getRandomValues } from 'node:crypto'; export const ok = () => typeof http.request + typeof createHash + getRandomValues(new Uint8Array(4)).length;",
        resolveDir: dir,
        sourcefile: src,
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: shimmed,
      plugins: [lazyBuiltins],
    });
    expect(heavy(loadedBy(shimmed))).toEqual([]);
    const ok = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(shimmed)}); console.log(m.ok())`],
      { encoding: 'utf8' },
    );
    expect(ok.trim()).toBe('functionfunction4');
  });

  it('the webhooks build no kind schema at import: a review loads its own kind (shared/api/kind-schemas.ts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-fn-bundle-'));
    for (const e of all.filter((x) => x.name === 'webhooks')) {
      const { eagerInputs, chunks } = await bundle(e, dir);
      const schemas = eagerInputs.filter((p) =>
        /^shared\/api\/(registry|kind|meta|conditions|(capi|providers|openshift)\/(?!constants)[\w-]+)\.ts$/.test(p),
      );
      expect(schemas, `${e.platform}/webhooks`).toEqual([]);
      expect(
        eagerInputs.filter((p) => p.startsWith('node_modules/zod/v4/classic/')),
        `${e.platform}/webhooks`,
      ).toEqual([]);
      expect(eagerInputs).toContain('shared/api/kind-schemas.ts');
      expect(chunks.length).toBeGreaterThan(1);
    }
  });

  it('carry a .data.ts module as its build-time result: the operator installs the same CRDs without the kind schemas', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'capi-fn-data-'));
    const out = join(dir, 'platform.mjs');
    const r = await build({
      entryPoints: [join(root, 'functions/operator/platform.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      metafile: true,
      plugins: [buildTimeData],
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((p) => /shared\/api\/registry\.ts|node_modules\/zod\//.test(p))).toEqual([]);
    const bundled = (await import(out)) as typeof import('../../functions/operator/platform.ts');
    for (const p of ['aws', 'gcp', 'azure', 'openstack', 'vsphere', 'metal3'] as const)
      expect(bundled.kindsToInstall(p), p).toEqual(kindsToInstall(p));
    expect(bundled.allInstallableCrdNames()).toEqual(allInstallableCrdNames());
    // Each call gets its own copy, as from the source: the installer labels the CRDs it is given.
    bundled.kindsToInstall('aws')[0]!.crd.metadata.name = 'changed';
    expect(bundled.kindsToInstall('aws')[0]!.crd.metadata.name).not.toBe('changed');
    // The operator's whole bundle builds no kind schema at start either.
    const operator = await build({
      entryPoints: [join(root, 'functions/operator/lambda.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outdir: join(dir, 'operator'),
      splitting: true,
      write: false,
      metafile: true,
      external: ['@aws-sdk/*'],
      plugins: [lazyBuiltins, buildTimeData],
    });
    expect(Object.keys(operator.metafile.inputs).filter((p) => p.includes('shared/api/registry.ts'))).toEqual([]);
  });

  it('give every .data.ts module the value its source computes (a JSON round trip loses nothing)', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const modules = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.data.ts'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    expect(modules.length).toBeGreaterThanOrEqual(2);
    const dir = mkdtempSync(join(tmpdir(), 'capi-fn-data-'));
    for (const m of modules) {
      const out = join(dir, `${m.replace(/\W+/g, '-')}.mjs`);
      await build({
        entryPoints: [join(root, m)],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: out,
        plugins: [buildTimeData],
      });
      const source = (await import(join(root, m))) as { data(): unknown };
      const bundled = (await import(out)) as { data(): unknown };
      expect(bundled.data(), m).toStrictEqual(source.data());
    }
  });
});
