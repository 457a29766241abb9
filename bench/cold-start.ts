// Cold start of each function bundle, and of the Kubernetes client choice: our thin node:https client
// against @kubernetes/client-node, each bundled and unbundled, importing and making one LIST against
// a real (embedded) API server. Prints figures; asserts nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { startApiServer } from '../local/apiserver/index.ts';
import { bundle, entries } from '../scripts/build.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** `bundles`, `clients`, `gcp-clients` `azure-clients`, `openstack-client` or `vsphere-client` runs only that part. */
const ONLY = process.env.BENCH_ONLY;
const ROOT = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'capi-fn-cold-'));
// The Lambda runtime provides @aws-sdk/*; here node_modules stands in for it.
symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));

const run = promisify(execFile);

type Timing = { median: number; p90: number; rssMiB: number };

// Asynchronous on purpose: the client probes talk to an API server that runs in this process.
async function timeNode(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timing> {
  return (await timeInterleaved([args], env))[0]!;
}

/**
 * Runs each argument list in turn, RUNS times over (after 2 warm-up rounds), so that a change in the machine's load
 * falls on all of them alike: a ratio between two of them holds even when the absolute figures drift.
 */
async function timeInterleaved(argSets: string[][], env: NodeJS.ProcessEnv = process.env): Promise<Timing[]> {
  const times: number[][] = argSets.map(() => []);
  const rss = argSets.map(() => 0);
  for (let i = 0; i < RUNS + 2; i++) {
    for (const [j, args] of argSets.entries()) {
      const t0 = performance.now();
      const { stdout: out } = await run(process.execPath, [...args], { env, encoding: 'utf8', cwd: work });
      const dt = performance.now() - t0;
      if (i >= 2) times[j]!.push(dt);
      const m = /RSS=(\d+)/.exec(out);
      if (m) rss[j] = Math.max(rss[j]!, Number(m[1]));
    }
  }
  return times.map((t, j) => {
    t.sort((a, b) => a - b);
    return { median: t[Math.floor(t.length / 2)]!, p90: t[Math.floor(t.length * 0.9)]!, rssMiB: rss[j]! / 1024 / 1024 };
  });
}

const fmt = (r: { median: number; p90: number; rssMiB: number }) =>
  `${r.median.toFixed(0).padStart(5)} ms median, ${r.p90.toFixed(0).padStart(5)} ms p90, ${r.rssMiB.toFixed(0).padStart(4)} MiB RSS`;
const PRINT_RSS = 'console.log("RSS=" + process.memoryUsage().rss)';

console.log(`cold start, ${RUNS} runs each (node ${process.version})`);
const empty = join(work, 'empty.mjs');
writeFileSync(empty, PRINT_RSS);
console.log(`  ${'node, empty script'.padEnd(44)} ${fmt(await timeNode([empty]))}`);
/** Issue 20's target: every bundle imports in at most this multiple of the empty script, measured in the same run. */
const TARGET_RATIO = 1.8;

async function bundled(label: string, src: string): Promise<string> {
  const out = join(work, `${label.replace(/\W+/g, '-')}.mjs`);
  await build({
    entryPoints: [src],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return out;
}

// The Compute Engine client choice (issue: GCP provider): the two Google SDKs, installed on demand from the npm
// registry into a scratch folder, against our thin REST client over google-auth-library. Import and build a client.
if (ONLY === 'gcp-clients') {
  const sdks = mkdtempSync(join(tmpdir(), 'capi-fn-gcp-sdks-'));
  await run('npm', [
    'install',
    '--prefix',
    sdks,
    '--no-save',
    '--no-package-lock',
    '--no-fund',
    '--no-audit',
    '@google-cloud/compute',
    '@googleapis/compute',
  ]);
  const probes: Array<[string, string]> = [
    [
      '@google-cloud/compute (gRPC/gax)',
      `import { InstancesClient } from ${JSON.stringify(join(sdks, 'node_modules/@google-cloud/compute/build/src/index.js'))}; new InstancesClient();`,
    ],
    [
      '@googleapis/compute (discovery)',
      `import { compute } from ${JSON.stringify(join(sdks, 'node_modules/@googleapis/compute/build/index.js'))}; compute('v1');`,
    ],
    [
      'thin REST + google-auth-library',
      `import { GceRest } from ${JSON.stringify(join(ROOT, 'functions/providers/gcp/client.ts'))}; const { GoogleAuth } = await import('google-auth-library'); new GoogleAuth(); new GceRest();`,
    ],
  ];
  console.log('\nCompute Engine client: import + construct');
  for (const [label, code] of probes) {
    const src = join(work, `${label.replace(/\W+/g, '-')}-src.mjs`);
    writeFileSync(src, `${code} ${PRINT_RSS}`);
    try {
      const out = await bundled(label, src);
      console.log(
        `  ${`${label}, bundled (${(statSync(out).size / 1024).toFixed(0)} KiB)`.padEnd(60)} ${fmt(await timeNode([out]))}`,
      );
    } catch (e) {
      console.log(`  ${`${label}, bundled`.padEnd(60)} fails: ${String((e as Error).message).split('\n')[0]}`);
    }
    try {
      console.log(`  ${`${label}, unbundled`.padEnd(60)} ${fmt(await timeNode([src]))}`);
    } catch (e) {
      console.log(`  ${`${label}, unbundled`.padEnd(60)} fails: ${String((e as Error).message).split('\n')[0]}`);
    }
  }
  process.exit(0);
}

// The Azure provider's client (issue: Azure provider): the official @azure/arm-compute, @azure/arm-network and
// @azure/identity, which the provider loads on its first call (client.ts), bundled and not; and the provider's Lambda
// bundle, whose import does not load them.
if (ONLY === 'azure-clients') {
  const probes: Array<[string, string]> = [
    [
      'arm-compute + arm-network + identity',
      `const [c, n, i] = await Promise.all([import('@azure/arm-compute'), import('@azure/arm-network'), import('@azure/identity')]);
const cred = new i.ClientSecretCredential('t', 'c', 's');
new c.ComputeManagementClient(cred, 'sub'); new n.NetworkManagementClient(cred, 'sub');`,
    ],
    [
      '@azure/arm-compute alone',
      `const c = await import('@azure/arm-compute'); new c.ComputeManagementClient({ getToken: async () => null }, 'sub');`,
    ],
  ];
  console.log('\nAzure Resource Manager clients: import + construct');
  for (const [label, code] of probes) {
    const src = join(work, `${label.replace(/\W+/g, '-')}-src.mjs`);
    writeFileSync(src, `${code} ${PRINT_RSS}`);
    const out = await bundled(label, src);
    console.log(
      `  ${`${label}, bundled (${(statSync(out).size / 1024).toFixed(0)} KiB)`.padEnd(60)} ${fmt(await timeNode([out]))}`,
    );
    console.log(`  ${`${label}, unbundled`.padEnd(60)} ${fmt(await timeNode([src]))}`);
  }
  for (const e of entries().filter((x) => x.name.startsWith('azure-') && x.platform === 'aws')) {
    const { file, bytes } = await bundle(e, join(work, 'dist'));
    const probe = join(work, `probe-${e.platform}-${e.name}.mjs`);
    writeFileSync(probe, `await import(${JSON.stringify(file)}); ${PRINT_RSS}`);
    console.log(
      `  ${`${e.platform}/${e.name} bundle (${(bytes / 1024).toFixed(0)} KiB), import`.padEnd(60)} ${fmt(await timeNode([probe]))}`,
    );
  }
  process.exit(0);
}

// The OpenStack client (issue: OpenStack provider): no maintained JavaScript SDK exists, so the figure is the thin
// REST client's own: its bundle, import + construct, and import + the first call (Keystone token, catalog, one
// GET /servers/detail) against the emulator running in this process.
if (ONLY === 'openstack-client') {
  const { startOpenStackEmulator } = await import('../test/emulators/openstack/server.ts');
  const os = await startOpenStackEmulator();
  const clouds = join(work, 'clouds.yaml');
  writeFileSync(clouds, os.cloudsYaml());
  const client = JSON.stringify(join(ROOT, 'functions/providers/openstack/client.ts'));
  const apiMod = JSON.stringify(join(ROOT, 'functions/providers/openstack/api.ts'));
  const creds = JSON.stringify(join(ROOT, 'functions/providers/openstack/credentials.ts'));
  const probes: Array<[string, string]> = [
    ['import + construct', `import { OpenStackRest } from ${client}; new OpenStackRest();`],
    [
      'import + first call (token, catalog, GET /servers/detail)',
      `import { OpenStackRest } from ${client}; import { OpenStackApi } from ${apiMod}; import { processCloud } from ${creds};
const api = new OpenStackApi(new OpenStackRest(), processCloud(process.env)); await api.listServers();`,
    ],
  ];
  const env = { ...process.env, OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: 'capi-fn-emulator' };
  console.log('\nOpenStack client (thin REST over node:https, no SDK):');
  for (const [label, code] of probes) {
    const src = join(work, `os-${label.replace(/\W+/g, '-')}-src.mjs`);
    writeFileSync(src, `${code} ${PRINT_RSS}`);
    const out = await bundled(`os-${label}`, src);
    console.log(
      `  ${`${label}, bundled (${(statSync(out).size / 1024).toFixed(0)} KiB)`.padEnd(66)} ${fmt(await timeNode([out], env))}`,
    );
  }
  await os.stop();
  process.exit(0);
}

if (ONLY !== 'clients') {
  // What no bundle can go below: every function talks to the API server over TLS, and node:https (with the tls,
  // crypto, net and http modules under it) is loaded by the import of each. Measured alone, against the same empty
  // script, so the bundles' ratios below read against it.
  const https = join(work, 'https-only.mjs');
  writeFileSync(https, `process.getBuiltinModule('node:https'); ${PRINT_RSS}`);
  const [h, base] = (await timeInterleaved([[https], [empty]])) as [Timing, Timing];
  console.log(
    `\n  ${'node:https alone (every bundle loads it)'.padEnd(44)} ${fmt(h)}  ${(h.median / base.median).toFixed(2)}× empty (${base.median.toFixed(0)} ms)`,
  );
  console.log('\nfunction bundles (import only; then, where it has chunks, import + every chunk):');
}
const ratios: Array<{ name: string; ratio: number }> = [];
for (const e of entries().filter(() => ONLY !== 'clients')) {
  const { file, bytes, chunks, lazyBytes } = await bundle(e, join(work, 'dist'));
  const probe = join(work, `probe-${e.platform}-${e.name}.mjs`);
  writeFileSync(probe, `await import(${JSON.stringify(file)}); ${PRINT_RSS}`);
  // The empty script runs between the bundle's runs: the ratio compares figures taken under the same load.
  const [r, base] = (await timeInterleaved([[probe], [empty]])) as [Timing, Timing];
  const ratio = r.median / base.median;
  ratios.push({ name: `${e.platform}/${e.name}`, ratio });
  console.log(
    `  ${`${e.platform}/${e.name} (${(bytes / 1024).toFixed(0)} KiB)`.padEnd(44)} ${fmt(r)}  ${ratio.toFixed(2)}× empty (${base.median.toFixed(0)} ms)`,
  );
  if (lazyBytes > 0) {
    // The most a first call can add: every chunk the bundle loads on use (a cloud SDK), loaded after the import.
    const all = join(work, `probe-all-${e.platform}-${e.name}.mjs`);
    const dir = join(work, 'dist', e.platform);
    writeFileSync(
      all,
      `await import(${JSON.stringify(file)}); for (const c of ${JSON.stringify(chunks.map((c) => join(dir, c)))}) await import(c); ${PRINT_RSS}`,
    );
    console.log(
      `  ${`  + ${(lazyBytes / 1024).toFixed(0)} KiB loaded on use`.padEnd(44)} ${fmt(await timeNode([all]))}`,
    );
  }
}
if (ratios.length) {
  const over = ratios.filter((x) => x.ratio > TARGET_RATIO);
  console.log(
    `  within ${TARGET_RATIO}× the empty script: ${ratios.length - over.length} of ${ratios.length}` +
      (over.length ? `; over: ${over.map((x) => `${x.name} ${x.ratio.toFixed(2)}×`).join(', ')}` : ''),
  );
}

// Kubernetes client choice: import + one LIST of namespaces against the embedded API server.
if (ONLY === 'bundles') process.exit(0);
const api = await startApiServer({});
const kubeconfig = join(work, 'kubeconfig');
await api.writeKubeconfig(kubeconfig);
const thin = join(work, 'thin.ts');
writeFileSync(
  thin,
  `import { createKubeClient } from ${JSON.stringify(join(ROOT, 'shared/kube/index.ts'))};
const kube = createKubeClient({ kubeconfig: ${JSON.stringify(kubeconfig)} });
const l = await kube.list({ apiVersion: 'v1', kind: 'Namespace' });
if (!l.items.length) throw new Error('empty');
${PRINT_RSS}; process.exit(0);`,
);
const cn = join(work, 'client-node.mjs');
writeFileSync(
  cn,
  `import * as k8s from ${JSON.stringify(join(ROOT, 'node_modules/@kubernetes/client-node/dist/index.js'))};
const kc = new k8s.KubeConfig(); kc.loadFromFile(${JSON.stringify(kubeconfig)});
const l = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
if (!l.items.length) throw new Error('empty');
${PRINT_RSS}; process.exit(0);`,
);
console.log('\nKubernetes client: import + LIST namespaces:');
console.log(`  ${'thin client (shared/kube), unbundled .ts'.padEnd(44)} ${fmt(await timeNode([thin]))}`);
console.log(`  ${'@kubernetes/client-node, unbundled'.padEnd(44)} ${fmt(await timeNode([cn]))}`);
for (const [label, src] of [
  ['thin client, esbuild bundle', thin],
  ['@kubernetes/client-node, esbuild bundle', cn],
] as const) {
  const out = await bundled(label, src);
  console.log(
    `  ${`${label} (${(statSync(out).size / 1024).toFixed(0)} KiB)`.padEnd(44)} ${fmt(await timeNode([out]))}`,
  );
}
await api.stop();
