// infra/knative/: current with the declarations; one Service, identity and set of Triggers per handler; nothing
// secret; and accepted by `kubectl apply --dry-run=server` against the embedded API server with Knative's own
// CRDs (Serving's Service, Eventing's Broker, Trigger and PingSource, test/peers/knative/) installed, so
// every field is checked against Knative's published schemas.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { hosts, isRendered } from '../../scripts/deploy/hosts.ts';
import { BROKER_URL, bridgeBusConfig, serviceName } from '../../scripts/deploy/knative.ts';
import { handlerUnits } from '../../scripts/deploy/plan.ts';
import { staleFiles } from '../../scripts/deploy/rendered.ts';
import { FUNCTIONS_NAMESPACE, serviceAccountName } from '../../scripts/gen-rbac-rules.ts';
import { toCrd } from '../../shared/api/crd.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { KnativeBusConfig } from '../../shared/bus/index.ts';
import { knativeTriggersFor } from '../../shared/bus/knative-routing.ts';
import { installKnativeCrds } from '../support/knative-crds.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { hasPeer } from '../support/peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'infra', 'knative');
const knative = hosts.find((h) => h.name === 'knative')!;

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: the manifests' shapes are Knative's; the tests read a few fields.
  spec?: any;
  stringData?: Record<string, string>;
};
const load = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJSON() as Doc);
const all = (): Doc[] =>
  readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap(load);

describe('infra/knative', () => {
  it('is what `npm run gen:deploy` renders from the handler declarations', () => {
    expect(staleFiles(ROOT, knative.dir, knative.render(), isRendered(knative))).toEqual([]);
  });

  it('has a Service running as its own ServiceAccount and the subscription’s Triggers for every handler', () => {
    const services = load('functions.yaml');
    const triggers = load('triggers.yaml');
    for (const u of handlerUnits()) {
      const svc = services.find((s) => s.metadata.name === serviceName(u.name));
      expect(svc, u.name).toBeDefined();
      const pod = svc!.spec.template.spec;
      expect(pod.serviceAccountName).toBe(serviceAccountName(u.name));
      expect(pod.containers[0].args).toContain(`--target=knative-${u.name}`);
      expect(pod.containers[0].args).toContain(`--source=/app/dist/gcp/${u.bundle}.mjs`);
      expect(pod.containerConcurrency).toBe(u.singleton ? 1 : 10);
      const mine = triggers.filter((t) => t.metadata.labels?.['capi-fn.io/handler'] === u.name);
      expect(mine.map((t) => t.spec.filter.attributes)).toEqual(
        knativeTriggersFor(u.subscription).map((r) => r.attributes),
      );
      for (const t of mine) expect(t.spec.subscriber.ref.name).toBe(serviceName(u.name));
    }
    // One identity per function: no two Services share a ServiceAccount, and each has its file in infra/rbac/.
    const accounts = services.map((s) => s.spec.template.spec.serviceAccountName).filter(Boolean);
    expect(new Set(accounts).size).toBe(accounts.length);
    for (const a of accounts)
      expect(readdirSync(join(ROOT, 'infra', 'rbac'))).toContain(`${a.replace(/^capi-fn-/, '')}.yaml`);
    expect(new Set(triggers.map((t) => t.metadata.name)).size).toBe(triggers.length);
  });

  it('holds nothing secret: plain env values are URLs and numbers, the one Secret is the bridge’s broker address', () => {
    for (const d of all()) {
      if (d.kind === 'Service')
        for (const e of d.spec.template.spec.containers[0].env ?? []) {
          if ('valueFrom' in e) expect(e.valueFrom.configMapKeyRef, e.name).toBeDefined();
          else expect(e.value, e.name).toMatch(/^(https?:\/\/[a-z0-9./:-]+|\d+|\/tmp)$/);
        }
      if (d.kind === 'Secret') {
        expect(d.metadata.name).toBe('capi-fn-bridge-bus');
        const config = JSON.parse(d.stringData!['config.json']!);
        expect(config).toEqual(bridgeBusConfig());
        expect(KnativeBusConfig.parse(config).brokerUrl).toBe(BROKER_URL);
      }
    }
    // Only the webhooks are reachable from outside the cluster (the API server calls them through the ingress).
    const services = load('functions.yaml');
    expect(
      services
        .filter((s) => s.metadata.labels?.['networking.knative.dev/visibility'] !== 'cluster-local')
        .map((s) => s.metadata.name),
    ).toEqual([serviceName('webhooks')]);
  });

  describe.skipIf(!hasPeer('kubectl'))('kubectl apply --dry-run=server', () => {
    let api: ApiServer;
    let dir: string;
    let ok: ReturnType<typeof kubectlFor>['ok'];
    let kubectl: ReturnType<typeof kubectlFor>['kubectl'];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'capi-fn-knative-'));
      const kubeconfig = join(dir, 'kubeconfig');
      ({ ok, kubectl } = kubectlFor(kubeconfig, dir));
      api = await startApiServer({ crds: allKinds.map((k) => toCrd(k)) });
      await api.writeKubeconfig(kubeconfig);
      await installKnativeCrds(ok, dir);
      for (const ns of ['openshift-cluster-api', 'openshift-machine-api']) await ok(['create', 'namespace', ns]);
      await ok(['apply', '-f', join(ROOT, 'infra', 'rbac')]);
    });
    afterAll(async () => {
      await api?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('accepts every manifest against Knative’s schemas, and stores nothing', async () => {
      const out = await ok(['apply', '--dry-run=server', '-f', DIR]);
      const lines = out.trim().split('\n');
      expect(lines.length).toBe(all().length);
      for (const l of lines) expect(l).toMatch(/ created \(server dry run\)$/);
      expect(await ok(['get', 'triggers.eventing.knative.dev', '-n', FUNCTIONS_NAMESPACE, '-o', 'name'])).toBe('');
    });

    it('refuses a Trigger that breaks Knative’s schema, naming the field', async () => {
      const bad = join(dir, 'bad-trigger.yaml');
      writeFileSync(
        bad,
        `apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: bad, namespace: ${FUNCTIONS_NAMESPACE}}\nspec:\n  broker: capi-fn\n  filter: {attributes: {capifnto: all}}\n  subscriber: {uri: http://x}\n  delivery: {retry: many}\n`,
      );
      const r = await kubectl(['apply', '--dry-run=server', '-f', bad]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('spec.delivery.retry');
    });
  });
});
