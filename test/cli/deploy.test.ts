// `capi-fn deploy <host>`: --dry-run renders every host's deployment from the declarations (identical to the
// checkout's), missing tools, settings and logins are refused one line each, and on Knative it really deploys:
// kubectl applies infra/rbac and infra/knative to the embedded API server with Knative's CRDs installed.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../local/apiserver/index.ts';
import { toCrd } from '../../shared/api/crd.ts';
import { allKinds } from '../../shared/api/registry.ts';
import { tempDir } from '../support/env.ts';
import { installKnativeCrds } from '../support/knative-crds.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { hasPeer } from '../support/peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/capi-fn.js'), ...args],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every file under `dir`, by path relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

describe('capi-fn deploy', () => {
  it.each(['aws', 'azure', 'gcp', 'knative'])('%s --dry-run renders exactly what the checkout holds', async (host) => {
    const out = tempDir('capi-fn-deploy-');
    const r = await run(['deploy', host, '--dry-run', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^capi-fn on ${host}: \\d+ files rendered from the handler declarations`));
    expect(r.stdout).toContain('it expects:');
    expect(r.stdout).toContain('without --dry-run it runs: ');
    expect(r.stdout).not.toContain('differ');
    const written = filesUnder(out);
    expect(written.length).toBeGreaterThan(3);
    for (const f of written) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(ROOT, f), 'utf8'));
  });

  it('refuses a host without its prerequisites, one line each naming the fix, exit 1', async () => {
    const azure = await run(['deploy', 'azure'], { RESOURCE_GROUP: '', PREFIX: '', KEY_VAULT: '' });
    expect(azure.status).toBe(1);
    const lines = azure.stderr.trim().split('\n');
    for (const l of lines) expect(l).toMatch(/^capi-fn deploy azure: /);
    expect(azure.stderr).toMatch(/RESOURCE_GROUP is not set: set it to/);
    expect(azure.stderr).not.toMatch(/\n\s+at /);
    // With no tool on PATH but node's own folder.
    const gcp = await run(['deploy', 'gcp'], { PATH: dirname(process.execPath) });
    expect(gcp.status).toBe(1);
    expect(gcp.stderr.trim()).toBe(
      'capi-fn deploy gcp: gcloud (the Google Cloud CLI) is not on PATH: install the Google Cloud CLI',
    );
    const aws = await run(['deploy', 'aws'], {
      AWS_PROFILE: '',
      AWS_ACCESS_KEY_ID: '',
      HOME: tempDir('capi-fn-home-'),
    });
    expect(aws.status).toBe(1);
    expect(aws.stderr).toContain('no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID');
    const usage = await run(['deploy', 'openshift']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('unknown host "openshift": choose one of aws, azure, gcp, knative');
  });

  describe.skipIf(!hasPeer('kubectl'))('on Knative, against the embedded API server', () => {
    let api: ApiServer;
    let kubeconfig: string;
    let ok: ReturnType<typeof kubectlFor>['ok'];

    beforeAll(async () => {
      const dir = tempDir('capi-fn-deploy-knative-');
      kubeconfig = join(dir, 'kubeconfig');
      ({ ok } = kubectlFor(kubeconfig, dir));
      api = await startApiServer({ crds: allKinds.map((k) => toCrd(k)) });
      await api.writeKubeconfig(kubeconfig);
      for (const ns of ['openshift-cluster-api', 'openshift-machine-api']) await ok(['create', 'namespace', ns]);
    });
    afterAll(async () => {
      await api?.stop();
    });

    it('refuses a cluster without Knative, then deploys every function once its CRDs are there', async () => {
      const refused = await run(['--kubeconfig', kubeconfig, 'deploy', 'knative']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('Knative Serving and Eventing are not installed in this cluster');
      await installKnativeCrds(ok, dirname(kubeconfig));
      const deployed = await run(['--kubeconfig', kubeconfig, 'deploy', 'knative']);
      expect(deployed.stderr).toContain('capi-fn deploy knative: running kubectl');
      expect(deployed.status).toBe(0);
      const services = (await ok(['get', 'services.serving.knative.dev', '-n', 'capi-fn-system', '-o', 'name']))
        .trim()
        .split('\n');
      expect(services).toHaveLength(20);
      const triggers = (await ok(['get', 'triggers.eventing.knative.dev', '-n', 'capi-fn-system', '-o', 'name']))
        .trim()
        .split('\n');
      // Every Trigger the generated manifests hold (one per watched kind and event type a handler asks for: the
      // MachineSet's Machine watch takes three types, so three Triggers).
      const generated = readFileSync(join(ROOT, 'infra', 'knative', 'triggers.yaml'), 'utf8').match(
        /^kind: Trigger$/gm,
      );
      expect(generated?.length).toBe(141);
      expect(triggers).toHaveLength(generated!.length);
      expect(await ok(['get', 'serviceaccount', 'capi-fn-machine', '-n', 'capi-fn-system', '-o', 'name'])).toContain(
        'capi-fn-machine',
      );
      // A Trigger an earlier version applied and the manifests no longer hold (a routing change renamed it) goes on
      // the next deploy; one without the handler label (the user's) stays, and nothing else is created.
      const trigger = (name: string, labels: Record<string, string>) => ({
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: { name, namespace: 'capi-fn-system', labels },
        spec: { broker: 'capi-fn', subscriber: { uri: 'http://example.invalid' } },
      });
      for (const t of [
        trigger('machine-awsmachine-infrastructure', { 'capi-fn.io/handler': 'machine' }),
        trigger('users-own', { team: 'a' }),
      ]) {
        const file = join(dirname(kubeconfig), `${t.metadata.name}.json`);
        writeFileSync(file, JSON.stringify(t));
        await ok(['apply', '-f', file]);
      }
      const again = await run(['--kubeconfig', kubeconfig, 'deploy', 'knative']);
      expect(again.status).toBe(0);
      expect(again.stdout).not.toMatch(/ created$/m);
      expect(again.stdout).toMatch(/trigger\.eventing\.knative\.dev\/machine-awsmachine-infrastructure pruned/);
      const after = (await ok(['get', 'triggers.eventing.knative.dev', '-n', 'capi-fn-system', '-o', 'name']))
        .trim()
        .split('\n');
      expect(after.sort()).toEqual([...triggers, 'trigger.eventing.knative.dev/users-own'].sort());
    });
  });
});
