// What `capi-fn deploy <host>` renders, checks and runs for each host: the files rendered from the handler
// declarations (compared with what the checkout holds), the host's own tool, the settings and credentials it
// needs — each missing one is a sentence naming it and the fix — and the command that deploys.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { renderRbacFiles } from '../gen-rbac-rules.ts';
import { renderServerlessYaml } from '../serverless-config.ts';
import { hosts } from './hosts.ts';

export type HostName = 'aws' | 'azure' | 'gcp' | 'knative';
export const HOST_NAMES: HostName[] = ['aws', 'azure', 'gcp', 'knative'];

export interface DeployTarget {
  name: HostName;
  /** Rendered files by path from the checkout's root. */
  render(): Map<string, string>;
  tool: string;
  /** What the deployment expects, in words (printed by --dry-run). */
  expects: string[];
  /** What is missing before it can run: one sentence each, with the fix. */
  preflight(env: NodeJS.ProcessEnv, root: string): string[];
  /** The commands that deploy, run in order until one fails. */
  commands(env: NodeJS.ProcessEnv, root: string): Array<{ cmd: string; args: string[] }>;
}

function onPath(tool: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const p = join(dir, tool);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function prefixed(dir: string, files: Map<string, string>): Map<string, string> {
  return new Map([...files].map(([f, t]) => [`${dir}/${f}`, t]));
}

const folder = (name: string) => hosts.find((h) => h.name === name)!;

function succeeds(cmd: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  return failure(cmd, args, env) === undefined;
}

/** The last line the command wrote to stderr when it fails (kubectl's own reason), undefined when it succeeds. */
function failure(cmd: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  try {
    execFileSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    return undefined;
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    return stderr.split('\n').pop() || (e as Error).message;
  }
}

function missingSettings(env: NodeJS.ProcessEnv, names: Record<string, string>): string[] {
  return Object.entries(names)
    .filter(([k]) => !env[k])
    .map(([k, what]) => `${k} is not set: set it to ${what}`);
}

function builtFor(platform: 'azure' | 'gcp', root: string): string[] {
  return existsSync(join(root, 'dist', platform))
    ? []
    : [`dist/${platform}/ has no bundles: run \`npm run build\` first`];
}

export const deployTargets: DeployTarget[] = [
  {
    name: 'aws',
    render: () => new Map([['serverless.yml', renderServerlessYaml()], ...prefixed('infra/rbac', renderRbacFiles())]),
    tool: 'osls',
    expects: [
      'AWS credentials with rights to create CloudFormation stacks, Lambda, SQS, EventBridge, IAM roles and Secrets Manager reads (AWS_PROFILE, AWS_ACCESS_KEY_ID, or ~/.aws/credentials)',
      'for each function a Secrets Manager secret capi-fn/<function>/kubeconfig with its own kubeconfig (infra/rbac/: its ServiceAccount, applied to the cluster first)',
      'cluster access: kubectl apply -f infra/rbac by someone who may create ClusterRoles',
    ],
    preflight(env, root) {
      const problems: string[] = [];
      if (!existsSync(join(root, 'node_modules', '.bin', 'osls'))) problems.push('osls is not installed: run `npm ci`');
      const creds =
        env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID || existsSync(join(env.HOME ?? homedir(), '.aws', 'credentials'));
      if (!creds) problems.push('no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
      return problems;
    },
    commands: (_env, root) => [{ cmd: join(root, 'node_modules', '.bin', 'osls'), args: ['deploy'] }],
  },
  {
    name: 'azure',
    render: () =>
      new Map([
        ...prefixed('infra/rbac', renderRbacFiles()),
        ...prefixed(folder('azure').dir, folder('azure').render()),
      ]),
    tool: 'az',
    expects: [
      'RESOURCE_GROUP, PREFIX (a name prefix) and KEY_VAULT (an existing Key Vault in RBAC mode)',
      'in KEY_VAULT one secret per function, capifn-<function>-kubeconfig, with its own kubeconfig (infra/rbac/)',
      'an Azure CLI login (`az login`) allowed to deploy to the resource group, assign roles, read the role assignments of the subscription, and delete what a removed function left (its app, plan, identity and role assignments, queues and package container)',
      'the bundles in dist/azure/ (`npm run build`) and `zip`',
    ],
    preflight(env, root) {
      if (!onPath('az', env)) return ['az (the Azure CLI) is not on PATH: install it (Debian: azure-cli)'];
      return [
        ...missingSettings(env, {
          RESOURCE_GROUP: 'the resource group to deploy into',
          PREFIX: 'a name prefix for every resource (3–20 lowercase letters, digits, hyphens)',
          KEY_VAULT: 'the Key Vault holding capifn-<function>-kubeconfig secrets',
        }),
        ...(succeeds('az', ['account', 'show'], env) ? [] : ['the Azure CLI is not logged in: run `az login`']),
        ...builtFor('azure', root),
      ];
    },
    commands: (_env, root) => [{ cmd: 'bash', args: [join(root, 'infra', 'azure', 'deploy.sh'), 'all'] }],
  },
  {
    name: 'gcp',
    render: () =>
      new Map([...prefixed('infra/rbac', renderRbacFiles()), ...prefixed(folder('gcp').dir, folder('gcp').render())]),
    tool: 'gcloud',
    expects: [
      'PROJECT and REGION',
      'for each function a Secret Manager secret capifn-<function>-kubeconfig with its own kubeconfig (infra/rbac/)',
      'a gcloud login (`gcloud auth login`) allowed to create service accounts, functions, Pub/Sub and Scheduler resources',
      'the bundles in dist/gcp/ (`npm run build`)',
    ],
    preflight(env, root) {
      if (!onPath('gcloud', env)) return ['gcloud (the Google Cloud CLI) is not on PATH: install the Google Cloud CLI'];
      let account = '';
      try {
        account = execFileSync('gcloud', ['auth', 'list', '--filter=status:ACTIVE', '--format=value(account)'], {
          env,
          encoding: 'utf8',
          timeout: 30_000,
        }).trim();
      } catch {
        account = '';
      }
      return [
        ...missingSettings(env, {
          PROJECT: 'the Google Cloud project id',
          REGION: 'a region, for example europe-west1',
        }),
        ...(account ? [] : ['gcloud has no active account: run `gcloud auth login`']),
        ...builtFor('gcp', root),
      ];
    },
    commands: (_env, root) => [{ cmd: 'bash', args: [join(root, 'infra', 'gcp', 'deploy.sh'), 'all'] }],
  },
  {
    name: 'knative',
    render: () =>
      new Map([
        ...prefixed('infra/rbac', renderRbacFiles()),
        ...prefixed(folder('knative').dir, folder('knative').render()),
      ]),
    tool: 'kubectl',
    expects: [
      'a cluster with Knative Serving and Eventing (OpenShift Serverless), reached by --kubeconfig or KUBECONFIG as someone who may create ClusterRoles',
      `the image ${'infra/knative/Containerfile'} builds, pushed where the cluster pulls it (the manifests name registry.example.com/capi-fn/capi-fn:0.1.0)`,
      'the ConfigMap capi-fn-webhook-endpoint (url, optional caBundle) in capi-fn-system: where the API server reaches the webhooks Service',
      'no credentials in the manifests: each function runs as its own ServiceAccount (infra/rbac/) with its token mounted',
    ],
    preflight(env) {
      if (!onPath('kubectl', env)) return ['kubectl is not on PATH: install kubectl'];
      const kc = env.KUBECONFIG ? ['--kubeconfig', env.KUBECONFIG] : [];
      const unreachable = failure('kubectl', [...kc, 'get', '--raw', '/version'], env);
      if (unreachable)
        return [
          `kubectl cannot use the cluster (${unreachable}): pass --kubeconfig or set KUBECONFIG to one that reaches it with current credentials`,
        ];
      return succeeds(
        'kubectl',
        [
          ...kc,
          'get',
          'crd',
          'services.serving.knative.dev',
          'triggers.eventing.knative.dev',
          'pingsources.sources.knative.dev',
        ],
        env,
      )
        ? []
        : [
            'Knative Serving and Eventing are not installed in this cluster (no services.serving.knative.dev, triggers.eventing.knative.dev or pingsources.sources.knative.dev CRD): install OpenShift Serverless or Knative first',
          ];
    },
    commands: (env, root) => {
      const kc = env.KUBECONFIG ? ['--kubeconfig', env.KUBECONFIG] : [];
      return [
        {
          cmd: 'kubectl',
          args: [...kc, 'apply', '-f', join(root, 'infra', 'rbac'), '-f', join(root, 'infra', 'knative')],
        },
        // A routing change renames Triggers (one per event type, say); the old ones would go on delivering beside
        // the new. Every capi-fn Trigger carries the handler label: those an earlier apply made and the manifests no
        // longer hold are deleted.
        {
          cmd: 'kubectl',
          args: [
            ...kc,
            'apply',
            '-f',
            join(root, 'infra', 'knative', 'triggers.yaml'),
            '--prune',
            '-l',
            'capi-fn.io/handler',
            '--prune-allowlist=eventing.knative.dev/v1/Trigger',
          ],
        },
      ];
    },
  },
];

/** Rendered files that differ from the checkout's (the deployment runs from the checkout's files). */
export function staleInCheckout(target: DeployTarget, root: string): string[] {
  return [...target.render()]
    .filter(([f, text]) => !existsSync(join(root, f)) || readFileSync(join(root, f), 'utf8') !== text)
    .map(([f]) => f);
}
