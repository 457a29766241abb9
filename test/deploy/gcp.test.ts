// infra/gcp/deploy.sh: current with the declarations; one identity and one kubeconfig secret per function, only the
// webhooks public; every distinct gcloud command shape in it accepted by the real gcloud CLI (its arguments parse
// and it reaches the API, here a local endpoint that records the call); and its Pub/Sub stage run for real against
// the emulator, giving each handler the bus adapter's own filter, dead-letter topic and a push endpoint, and on a
// second run updating those settings in place and replacing a subscription whose filter is outdated.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRIDGE_IDENTITY,
  FUNCTION_LABEL,
  gcpKubeconfigSecret,
  gcpServiceAccount,
  TOPIC,
} from '../../scripts/deploy/gcp.ts';
import { hosts, isRendered } from '../../scripts/deploy/hosts.ts';
import { handlerUnits } from '../../scripts/deploy/plan.ts';
import { staleFiles } from '../../scripts/deploy/rendered.ts';
import {
  pubsubDeadLetterName,
  pubsubFilterFor,
  pubsubStandInName,
  pubsubSubscriptionName,
} from '../../shared/bus/pubsub-routing.ts';
import { hasPeer } from '../support/peers.ts';
import { type PubSubEmulator, startPubSubEmulator } from '../support/pubsub-emulator.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'infra', 'gcp', 'deploy.sh');
const gcp = hosts.find((h) => h.name === 'gcp')!;
const PROJECT = 'capifn-deploy';

/** The script's commands in DRY_RUN, each split into its arguments exactly as bash would pass them. */
function dryRun(env: Record<string, string> = {}): string[][] {
  const out = execFileSync('bash', [SCRIPT], {
    env: { ...process.env, PROJECT, REGION: 'europe-west1', DRY_RUN: '1', ...env },
    encoding: 'utf8',
    // What it tells the operator (a subscription it would replace) is not a command.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = out.split('\n').filter((l) => l.startsWith('gcloud '));
  // One bash for all lines: each line's words NUL-separated, lines separated by \x01.
  const split = execFileSync(
    'bash',
    ['-c', `while IFS= read -r l; do eval "a=($l)"; printf "%s\\0" "\${a[@]}"; printf "\\1"; done`],
    {
      input: `${lines.join('\n')}\n`,
      encoding: 'utf8',
    },
  );
  return split
    .split('\x01')
    .slice(0, -1)
    .map((words) => words.split('\0').slice(0, -1));
}

const flag = (cmd: string[], name: string) => cmd.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('infra/gcp', () => {
  it('is what `npm run gen:deploy` renders from the handler declarations', () => {
    expect(staleFiles(ROOT, gcp.dir, gcp.render(), isRendered(gcp))).toEqual([]);
  });

  it('deploys every function as its own service account with only its own kubeconfig; only the webhooks are public', () => {
    const commands = dryRun();
    const deploys = commands.filter((c) => c[1] === 'functions' && c[2] === 'deploy');
    const names = deploys.map((c) => c[3]!);
    expect(names).toEqual(expect.arrayContaining([...handlerUnits().map((u) => u.name), 'webhooks', 'drift']));
    for (const c of deploys) {
      const fn = c[3]!;
      expect(flag(c, 'service-account'), fn).toBe(`${gcpServiceAccount(fn)}@${PROJECT}.iam.gserviceaccount.com`);
      expect(flag(c, 'set-secrets'), fn).toBe(`/etc/capi-fn/kubeconfig=${gcpKubeconfigSecret(fn)}:latest`);
      expect(c.includes('--allow-unauthenticated'), fn).toBe(fn === 'webhooks');
      // The mark by which a later release's prune stage knows the function for capi-fn's.
      expect(flag(c, 'update-labels'), fn).toBe(`${FUNCTION_LABEL}=${TOPIC}`);
      // Nothing secret in the environment: names, topics, paths and URLs only.
      for (const kv of flag(c, 'set-env-vars')!.split(','))
        expect(kv, fn).toMatch(
          /^(GOOGLE_CLOUD_PROJECT|CAPI_FN_TOPIC|CAPI_FN_DLQ_TOPIC|CAPI_FN_KUBECONFIG|CAPI_FN_WEBHOOK_URL)=/,
        );
    }
    expect(new Set(deploys.map((c) => flag(c, 'service-account'))).size).toBe(deploys.length);
    const secretGrants = commands.filter((c) => c[1] === 'secrets' && c[2] === 'add-iam-policy-binding');
    for (const c of secretGrants)
      expect(c[3]).toBe(gcpKubeconfigSecret(flag(c, 'member')!.replace(/^serviceAccount:capifn-|@.*$/g, '')));
  });

  describe.skipIf(!hasPeer('gcloud'))('with the gcloud CLI', () => {
    let api: Server;
    let endpoint: string;
    const calls: string[] = [];
    let cfg: string;
    let emulator: PubSubEmulator | undefined;

    beforeAll(async () => {
      cfg = mkdtempSync(join(tmpdir(), 'gcloud-cfg-'));
      api = createServer((req, res) => {
        calls.push(`${req.method} ${req.url?.split('?')[0]}`);
        req.resume();
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 400, message: 'capi-fn test endpoint', status: 'INVALID_ARGUMENT' } }));
      });
      await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;
      if (hasPeer('gcloud-pubsub-emulator')) emulator = await startPubSubEmulator();
    });
    afterAll(async () => {
      await new Promise((r) => api?.close(r));
      await emulator?.stop();
      rmSync(cfg, { recursive: true, force: true });
    });

    const gcloudEnv = (overrides: Record<string, string>) => ({
      ...process.env,
      CLOUDSDK_CONFIG: cfg,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_CORE_PROJECT: PROJECT,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
      ...overrides,
    });

    it('accepts the arguments of every distinct command shape and reaches the API with each', async () => {
      const apis = [
        'CLOUDFUNCTIONS',
        'CLOUDSCHEDULER',
        'IAM',
        'SECRETMANAGER',
        'CLOUDRESOURCEMANAGER',
        'PUBSUB',
        'RUN',
      ];
      const env = gcloudEnv(Object.fromEntries(apis.map((a) => [`CLOUDSDK_API_ENDPOINT_OVERRIDES_${a}`, endpoint])));
      const shapes = new Map<string, string[]>();
      // A first deployment, and one over subscriptions and jobs that exist (with the same filters, or other ones).
      const runs = [dryRun(), dryRun({ DRY_RUN_EXISTING: 'same' }), dryRun({ DRY_RUN_EXISTING: 'changed' })];
      const verbs = new Set(runs.flat().map((c) => c.slice(1, 4).join(' ')));
      for (const v of [
        'pubsub subscriptions update',
        'pubsub subscriptions delete',
        'scheduler jobs update',
        'scheduler jobs create',
      ])
        expect(verbs).toContain(v);
      for (const c of runs.flat()) {
        const positional = c.slice(1).filter((a) => !a.startsWith('-'));
        const key = [
          ...positional.slice(0, -1),
          ...c
            .filter((a) => a.startsWith('--'))
            .map((a) => a.split('=')[0])
            .sort(),
        ].join(' ');
        if (!shapes.has(key)) shapes.set(key, c);
      }
      expect(shapes.size).toBeGreaterThan(10);
      for (const [key, c] of shapes) {
        const before = calls.length;
        const err = await new Promise<string>((resolve) =>
          execFile('gcloud', ['--quiet', ...c.slice(1)], { env, timeout: 60_000 }, (_e, _o, stderr) => resolve(stderr)),
        );
        expect(err, key).not.toMatch(
          /unrecognized arguments|argument .*: |Invalid value for|is required|must be specified/i,
        );
        expect(calls.length, `${key}: ${err}`).toBeGreaterThan(before);
      }
    }, 240_000);

    it.skipIf(!hasPeer('gcloud-pubsub-emulator'))(
      'creates each handler’s push subscription with the bus adapter’s filter and dead-letter topic (Pub/Sub stage, emulator)',
      async () => {
        const fns = ['machineset', 'machine', 'machinehealthcheck'];
        const runPubsubStage = (urlBase: string) =>
          new Promise<{ stderr: string }>((resolve, reject) =>
            execFile(
              'bash',
              [SCRIPT, 'pubsub'],
              {
                env: {
                  ...gcloudEnv({ CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB: `http://${emulator!.host}/` }),
                  PROJECT,
                  REGION: 'europe-west1',
                  NO_IAM: '1',
                  FUNCTIONS: fns.join(' '),
                  FUNCTION_URL_BASE: urlBase,
                },
                timeout: 120_000,
              },
              (e, _o, stderr) => (e ? reject(new Error(`deploy.sh pubsub failed: ${stderr}`)) : resolve({ stderr })),
            ),
          );
        await runPubsubStage('http://127.0.0.1:9');
        const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator!.host });
        try {
          await expectSubscriptions(pubsub, fns, 'http://127.0.0.1:9');
          // A later deployment (a capi-fn upgrade, the functions' URLs moved): one subscription left with another
          // filter, as an older release made it, is replaced (its ordering is on: the filter alone must tell); every
          // other setting is updated in place.
          const stale = pubsubSubscriptionName(TOPIC, 'machine');
          await pubsub.subscription(stale).delete();
          await pubsub.topic(TOPIC).createSubscription(stale, {
            filter: 'attributes.capifnhandler = "machine"',
            enableMessageOrdering: true,
            pushConfig: { pushEndpoint: 'http://127.0.0.1:9/old' },
          });
          // One with this release's filter but without message ordering (Pub/Sub cannot turn it on): replaced too.
          const unordered = pubsubSubscriptionName(TOPIC, 'machinehealthcheck');
          const mhc = handlerUnits().find((u) => u.name === 'machinehealthcheck')!;
          await pubsub.subscription(unordered).delete();
          await pubsub.topic(TOPIC).createSubscription(unordered, {
            filter: pubsubFilterFor(mhc.subscription).filter,
            pushConfig: { pushEndpoint: 'http://127.0.0.1:9/old' },
          });
          // A handler of an older release that this one does not have: its subscription goes; someone else's stays.
          const removed = `${TOPIC}-removed-handler`;
          await pubsub
            .topic(TOPIC)
            .createSubscription(removed, { pushConfig: { pushEndpoint: 'http://127.0.0.1:9/x' } });
          await pubsub.topic(TOPIC).createSubscription('someone-elses');
          // A handler of this release that this run does not deploy (FUNCTIONS leaves it out): its subscription and its
          // stand-in (all that may receive its events after an interrupted replacement) stay.
          const outside = [pubsubSubscriptionName(TOPIC, 'cluster'), pubsubStandInName(TOPIC, 'cluster')];
          for (const name of outside)
            await pubsub
              .topic(TOPIC)
              .createSubscription(name, { pushConfig: { pushEndpoint: 'http://127.0.0.1:9/c' } });
          const { stderr } = await runPubsubStage('http://127.0.0.1:8');
          for (const name of outside) {
            expect((await pubsub.subscription(name).exists())[0], name).toBe(true);
            expect(stderr).not.toContain(`deleting Pub/Sub subscription ${name}:`);
          }
          expect(stderr).toContain(`replacing Pub/Sub subscription ${stale}`);
          expect(stderr).toContain(`replacing Pub/Sub subscription ${unordered}`);
          expect(stderr).toContain(`deleting Pub/Sub subscription ${removed}`);
          expect((await pubsub.subscription(removed).exists())[0]).toBe(false);
          expect((await pubsub.subscription('someone-elses').exists())[0]).toBe(true);
          // The other one kept its filter: updated in place, not replaced.
          expect(stderr).not.toContain(`replacing Pub/Sub subscription ${pubsubSubscriptionName(TOPIC, 'machineset')}`);
          await expectSubscriptions(pubsub, fns, 'http://127.0.0.1:8');
          const [standin] = await pubsub.subscription(pubsubStandInName(TOPIC, 'machine')).exists();
          expect(standin).toBe(false);
        } finally {
          await pubsub.close();
        }
      },
      180_000,
    );

    /**
     * Cloud Functions (v1 and v2), IAM and Cloud Scheduler as far as the prune stage reads and deletes them: the
     * region holds `functions` (name → labels, and the account it runs as when not its own) and `jobs` (name →
     * description); every request is recorded; `failList` refuses the
     * functions listing (403: a deployer without cloudfunctions.functions.list).
     */
    async function fakeGoogle(o: {
      functions: Record<string, { labels: Record<string, string>; runsAs?: string }>;
      jobs: Record<string, string | undefined>;
      failList?: boolean;
    }) {
      const loc = `projects/${PROJECT}/locations/europe-west1`;
      const seen: string[] = [];
      const server = createServer((req, res) => {
        req.resume();
        const path = req.url!.split('?')[0]!;
        seen.push(`${req.method} ${path}`);
        const send = (code: number, body: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const fn = (name: string) => ({
          name: `${loc}/functions/${name}`,
          environment: 'GEN_2',
          state: 'ACTIVE',
          labels: o.functions[name]!.labels,
          serviceConfig: {
            serviceAccountEmail: `${o.functions[name]!.runsAs ?? gcpServiceAccount(name)}@${PROJECT}.iam.gserviceaccount.com`,
          },
        });
        if (req.method === 'GET' && path === `/v1/projects/${PROJECT}/locations`)
          return send(200, { locations: [{ name: loc, locationId: 'europe-west1' }] });
        if (req.method === 'GET' && path.endsWith(`${loc}/functions`)) {
          if (o.failList) return send(403, { error: { code: 403, message: 'denied', status: 'PERMISSION_DENIED' } });
          // The v1 API lists 1st gen functions: none here.
          return send(200, { functions: path.startsWith('/v2/') ? Object.keys(o.functions).map(fn) : [] });
        }
        const one = new RegExp(`^/v2/${loc}/functions/([^/]+)$`).exec(path)?.[1];
        if (one && req.method === 'GET') return send(200, fn(one));
        if (one && req.method === 'DELETE') return send(200, { name: `${loc}/operations/op1`, done: true });
        if (req.method === 'GET' && path === `/v2/${loc}/operations/op1`)
          return send(200, { name: `${loc}/operations/op1`, done: true });
        if (req.method === 'GET' && path === `/v1/${loc}/jobs`)
          return send(200, {
            jobs: Object.entries(o.jobs).map(([j, description]) => ({
              name: `${loc}/jobs/${j}`,
              ...(description ? { description } : {}),
            })),
          });
        if (req.method === 'DELETE') return send(200, {});
        send(400, { error: { code: 400, message: 'not in this fake', status: 'INVALID_ARGUMENT' } });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const prune = () =>
        new Promise<{ code: number; stderr: string }>((resolve) =>
          execFile(
            'bash',
            [SCRIPT, 'prune'],
            {
              env: {
                ...gcloudEnv(
                  Object.fromEntries(
                    ['CLOUDFUNCTIONS', 'CLOUDSCHEDULER', 'IAM'].map((a) => [
                      `CLOUDSDK_API_ENDPOINT_OVERRIDES_${a}`,
                      url,
                    ]),
                  ),
                ),
                PROJECT,
                REGION: 'europe-west1',
              },
              timeout: 120_000,
            },
            (e, _o, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stderr }),
          ),
        );
      return { seen, prune, close: () => new Promise((r) => server.close(r)) };
    }

    it('prune: deletes the functions, identities and Scheduler jobs of a handler the release no longer has, nothing else', async () => {
      const labels = { [FUNCTION_LABEL]: TOPIC };
      const jobMark = `capi-fn ${TOPIC}`;
      const google = await fakeGoogle({
        functions: {
          machine: { labels },
          'removed-handler': { labels },
          // Removed too, but it ran as an identity this release still uses: the identity stays.
          'removed-on-bridge': { labels, runsAs: BRIDGE_IDENTITY },
          'someone-elses': { labels: {} },
        },
        jobs: {
          'capifn-drift': jobMark,
          'capifn-removed-handler': jobMark,
          // Named like capi-fn's, without its mark: not capi-fn's.
          'capifn-lookalike': 'a job of someone else',
          'someone-elses-job': undefined,
        },
      });
      try {
        const { code, stderr } = await google.prune();
        expect(code, stderr).toBe(0);
        const deletes = google.seen.filter((c) => c.startsWith('DELETE'));
        expect(deletes).toEqual([
          `DELETE /v2/projects/${PROJECT}/locations/europe-west1/functions/removed-handler`,
          `DELETE /v1/projects/-/serviceAccounts/${gcpServiceAccount('removed-handler')}@${PROJECT}.iam.gserviceaccount.com`,
          `DELETE /v2/projects/${PROJECT}/locations/europe-west1/functions/removed-on-bridge`,
          `DELETE /v1/projects/${PROJECT}/locations/europe-west1/jobs/capifn-removed-handler`,
        ]);
        expect(stderr).toContain('the secret capifn-removed-handler-kubeconfig');
      } finally {
        await google.close();
      }
    }, 120_000);

    it('prune: a listing that fails stops the run instead of passing for an empty one', async () => {
      const google = await fakeGoogle({
        functions: { 'removed-handler': { labels: { [FUNCTION_LABEL]: TOPIC } } },
        jobs: { 'capifn-removed-handler': `capi-fn ${TOPIC}` },
        failList: true,
      });
      try {
        const { code } = await google.prune();
        expect(code).not.toBe(0);
        expect(google.seen.filter((c) => c.startsWith('DELETE'))).toEqual([]);
        // It stopped at the functions: the jobs were not even listed.
        expect(google.seen.some((c) => c.includes('/jobs'))).toBe(false);
      } finally {
        await google.close();
      }
    }, 120_000);

    async function expectSubscriptions(pubsub: PubSub, fns: string[], urlBase: string): Promise<void> {
      for (const fn of fns) {
        const unit = handlerUnits().find((u) => u.name === fn)!;
        const [meta] = await pubsub.subscription(pubsubSubscriptionName(TOPIC, fn)).getMetadata();
        expect(meta.topic).toBe(`projects/${PROJECT}/topics/${TOPIC}`);
        expect(meta.filter).toBe(pubsubFilterFor(unit.subscription).filter);
        expect(meta.pushConfig?.pushEndpoint).toBe(`${urlBase}/${fn}`);
        expect(meta.deadLetterPolicy?.deadLetterTopic).toBe(
          `projects/${PROJECT}/topics/${pubsubDeadLetterName(TOPIC, fn)}`,
        );
        expect(meta.enableMessageOrdering).toBe(true);
        const [dl] = await pubsub.subscription(pubsubDeadLetterName(TOPIC, fn)).exists();
        expect(dl).toBe(true);
      }
    }
  });
});
