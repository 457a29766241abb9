// infra/gcp/: capi-fn on Google Cloud as a script of gcloud commands (deploy.sh), rendered from the handler
// declarations. Each function is a Cloud Run function (2nd gen, HTTP, not public) with a service account of its
// own and its own kubeconfig mounted from Secret Manager; Pub/Sub delivers to it through a push subscription
// per handler whose filter, dead-letter topic and ordering are the Pub/Sub bus adapter's own (pubsub-routing.ts),
// authenticated with an OIDC token of one push identity. The drift check and the operator's resync run on
// Cloud Scheduler; the admission webhooks are the one public URL (a secret token in its path).
import { DEFAULT_NAMESPACE } from '../../functions/bridge/defaults.ts';
import { providers } from '../../functions/providers/index.ts';
import { runtimes } from '../../functions/providers/runtimes.ts';
import type { ProviderName } from '../../shared/api/kind.ts';
import { boundedName } from '../../shared/bus/names.ts';
import {
  ATTR_HANDLER,
  pubsubDeadLetterName,
  pubsubFilterFor,
  pubsubStandInName,
  pubsubSubscriptionName,
} from '../../shared/bus/pubsub-routing.ts';
import { DRIFT, handlerUnits, SCHEDULE_MINUTES, WEBHOOKS } from './plan.ts';

export const GCP_DIR = 'infra/gcp';
export const TOPIC = 'capifn-events';
/** Our handler's own bound, plus two: Pub/Sub's policy is the backstop for a function that never answers. */
const MAX_DELIVERY_ATTEMPTS = 10;
const KUBECONFIG_PATH = '/etc/capi-fn/kubeconfig';
const SA_RULES = {
  maxLength: 30,
  invalid: /[^a-z0-9-]/g,
  replacement: '-',
  lowercase: true,
  trimEnds: true,
  minLength: 6,
};

/** One service account per function: `capifn-<function>` (bounded to the 30 characters Google allows). */
export const gcpServiceAccount = (fn: string) => boundedName(`capifn-${fn}`, SA_RULES);
export const gcpKubeconfigSecret = (fn: string) => `capifn-${fn}-kubeconfig`;
export const PUSH_IDENTITY = 'capifn-pubsub-push';
export const SCHEDULER_IDENTITY = 'capifn-scheduler';
export const BRIDGE_IDENTITY = 'capifn-bridge';
/** The label every function of capi-fn's carries (value: the topic), by which the prune stage finds them. */
export const FUNCTION_LABEL = 'capi-fn';

/** Shell variables the script expands (the project and region are the deployer's). */
const PROJECT_REF = `\${PROJECT}`;
const WEBHOOK_URL_REF = `\${WEBHOOK_URL}`;

/** Shell single-quoting. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface GcpFunction {
  name: string;
  bundle: string;
  entryPoint: string;
  singleton: boolean;
  public: boolean;
  /** Predefined roles its cloud calls need on the project (the GCP provider's Compute Engine calls). */
  roles: string[];
  env: Record<string, string>;
}

function providerRoles(provider: string | undefined, fn: string): string[] {
  if (!provider) return [];
  const suffix = fn.slice(provider.length + 1);
  return runtimes[provider as ProviderName]?.deploy?.gcp?.[suffix] ?? [];
}

function gcpFunctions(): GcpFunction[] {
  const bus = (fn: string) => ({
    GOOGLE_CLOUD_PROJECT: PROJECT_REF,
    CAPI_FN_TOPIC: TOPIC,
    CAPI_FN_DLQ_TOPIC: pubsubDeadLetterName(TOPIC, fn),
  });
  return [
    // The webhooks first: the operator registers their URL.
    { name: WEBHOOKS, bundle: WEBHOOKS, entryPoint: WEBHOOKS, singleton: false, public: true, roles: [], env: {} },
    ...handlerUnits().map((u) => ({
      name: u.name,
      bundle: u.bundle,
      entryPoint: u.name,
      singleton: u.singleton,
      public: false,
      roles: providerRoles(u.provider, u.name),
      env: { ...bus(u.name), ...(u.scheduled ? { CAPI_FN_WEBHOOK_URL: WEBHOOK_URL_REF } : {}) },
    })),
    {
      name: DRIFT,
      bundle: DRIFT,
      entryPoint: DRIFT,
      singleton: true,
      public: false,
      roles: providers.flatMap((p) => runtimes[p.name]?.deploy?.gcpOrphanScan ?? []),
      env: { GOOGLE_CLOUD_PROJECT: PROJECT_REF, CAPI_FN_TOPIC: TOPIC },
    },
  ];
}

function deployCommand(f: GcpFunction): string {
  const env = Object.entries({ ...f.env, CAPI_FN_KUBECONFIG: KUBECONFIG_PATH })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `    stage ${q(f.bundle)}\n${[
    `    g functions deploy ${f.name} --gen2 --runtime=nodejs22 --region="$REGION" --source="$ROOT/.gcp-deploy/${f.bundle}"`,
    `      --entry-point=${f.entryPoint} --trigger-http ${f.public ? '--allow-unauthenticated' : '--no-allow-unauthenticated'}`,
    `      --service-account="$(sa ${gcpServiceAccount(f.name)})" --memory=512Mi --timeout=${f.name === DRIFT ? 300 : 60}s`,
    `      ${f.singleton ? '--max-instances=1 --concurrency=1' : '--max-instances=50 --concurrency=10 --cpu=1'}`,
    `      --set-env-vars="${env}"`,
    `      --set-secrets=${q(`${KUBECONFIG_PATH}=${gcpKubeconfigSecret(f.name)}:latest`)}`,
    // What the prune stage recognises as capi-fn's: a function without it (someone else's, or one deployed by a release
    // before the label) is never deleted.
    `      --update-labels=${FUNCTION_LABEL}=${TOPIC}`,
  ].join(' \\\n')}`;
}

const PREAMBLE = `#!/usr/bin/env bash
# Generated by \`npm run gen:deploy\` from the handler declarations (functions/registry.ts). Do not edit.
# capi-fn on Google Cloud: Cloud Run functions (2nd gen) fed by filtered Pub/Sub push subscriptions.
#
#   PROJECT=<project> REGION=<region> infra/gcp/deploy.sh [identities|secrets|functions|pubsub|schedules|prune|all]
#
# Before: \`npm run build\` (the bundles in dist/gcp/), and for each function a Secret Manager secret
# capifn-<function>-kubeconfig holding that function’s own kubeconfig (infra/rbac/: its ServiceAccount).
# WEBHOOK_URL defaults to the webhooks function’s URL; FUNCTIONS="a b" limits the run to those functions.
# DRY_RUN=1 prints the commands (shell-quoted) instead of running them; NO_IAM=1 leaves out the IAM bindings.
set -euo pipefail
: "\${PROJECT:?set PROJECT to the Google Cloud project id}"
: "\${REGION:?set REGION, for example europe-west1}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOPIC=${TOPIC}
JOB_MARK="capi-fn $TOPIC"
g() { if [ -n "\${DRY_RUN:-}" ]; then printf 'gcloud'; printf ' %q' "$@"; echo; else gcloud --project="$PROJECT" --quiet "$@"; fi; }
# DRY_RUN_EXISTING=same|changed prints, instead, what a run does where the subscriptions and jobs already exist (with
# the filters this script gives them, or other ones).
# An IAM binding; NO_IAM=1 skips them (the Pub/Sub emulator has no IAM).
iam() { if [ -n "\${NO_IAM:-}" ]; then return; fi; g "$@"; }
exists() { [ -z "\${DRY_RUN:-}" ] && gcloud --project="$PROJECT" --quiet "$@" >/dev/null 2>&1; }
sa() { echo "$1@$PROJECT.iam.gserviceaccount.com"; }
want() { [ -z "\${FUNCTIONS:-}" ] || [[ " $FUNCTIONS " == *" $1 "* ]]; }
# A function’s HTTPS URL (FUNCTION_URL_BASE/<name> instead, for a test against local endpoints).
url_of() {
  if [ -n "\${FUNCTION_URL_BASE:-}" ]; then echo "$FUNCTION_URL_BASE/$1"; return; fi
  if [ -n "\${DRY_RUN:-}" ]; then echo "https://$REGION-$PROJECT.cloudfunctions.net/$1"; return; fi
  gcloud --project="$PROJECT" functions describe "$1" --region="$REGION" --format="value(serviceConfig.uri)"
}
# The listings below are read into a variable before a loop uses them, and return a failed lookup's status: a
# failure in a loop's word list, or in a command substitution's subshell, would pass for an empty list.
# The functions of capi-fn's in the region, by their label (DRY_RUN_FUNCTIONS in a dry run).
labelled_functions() {
  if [ -n "\${DRY_RUN:-}" ]; then echo "\${DRY_RUN_FUNCTIONS:-}"; return; fi
  local names name
  names=$(gcloud --project="$PROJECT" --quiet functions list --regions="$REGION" \\
    --filter="labels.${FUNCTION_LABEL}=$TOPIC" --format='value(name)') || return
  # Each generation's API is asked: a name can come twice.
  for name in $names; do echo "\${name##*/}"; done | sort -u
}
# The service account a function runs as (in a dry run, the one this script would have given it).
identity_of() {
  if [ -n "\${DRY_RUN:-}" ]; then sa "capifn-$1"; return; fi
  gcloud --project="$PROJECT" --quiet functions describe "$1" --region="$REGION" \\
    --format='value(serviceConfig.serviceAccountEmail)'
}
# The names of capi-fn's Scheduler jobs in the region, by their description (DRY_RUN_JOBS in a dry run).
marked_jobs() {
  if [ -n "\${DRY_RUN:-}" ]; then echo "\${DRY_RUN_JOBS:-}"; return; fi
  local names name
  names=$(gcloud --project="$PROJECT" --quiet scheduler jobs list --location="$REGION" \\
    --filter="description=\\"$JOB_MARK\\"" --format='value(name)') || return
  for name in $names; do echo "\${name##*/}"; done
}
# The names of a topic's subscriptions (DRY_RUN_SUBSCRIPTIONS in a dry run).
subscriptions_of() {
  if [ -n "\${DRY_RUN:-}" ]; then echo "\${DRY_RUN_SUBSCRIPTIONS:-}"; return; fi
  local names name
  names=$(gcloud --project="$PROJECT" --quiet pubsub subscriptions list \\
    --filter="topic=projects/$PROJECT/topics/$1" --format='value(name)') || return
  for name in $names; do echo "\${name##*/}"; done
}
# Whether a subscription exists, and with this filter and message ordering: same, changed or missing.
subscription_state() {
  if [ -n "\${DRY_RUN:-}" ]; then echo "\${DRY_RUN_EXISTING:-missing}"; return; fi
  local got
  # One read of both (two could fail apart: a failed second read passed for a changed subscription, replaced for
  # nothing). Tab-separated, the ordering first: it holds no tab, the filter may hold anything else.
  got=$(gcloud --project="$PROJECT" --quiet pubsub subscriptions describe "$1" \\
    --format='value(enableMessageOrdering,filter)' 2>/dev/null) || { echo missing; return; }
  if [ "\${got%%$'\\t'*}" = True ] && [ "\${got#*$'\\t'}" = "$2" ]; then echo same; else echo changed; fi
}
# A handler's push subscription: push_subscription <name> <stand-in name> <filter> <settings…>. An existing one is
# updated in place, except its filter and message ordering, which Pub/Sub never changes: a subscription whose filter
# differs (a capi-fn upgrade changed what wakes the handler) is replaced, and a stand-in with the new filter receives
# while the old one is gone (delivery is at-least-once anyway, so the duplicates are harmless). What the old
# subscription, or the stand-in when it is removed, still held undelivered goes with it: the drift check's next
# resync looks at every object again. A stand-in left by an interrupted run is removed by the next.
push_subscription() {
  local sub=$1 standin=$2 filter=$3
  shift 3
  case "$(subscription_state "$sub" "$filter")" in
    same)
      g pubsub subscriptions update "$sub" "$@"
      exists pubsub subscriptions describe "$standin" && g pubsub subscriptions delete "$standin"
      ;;
    changed)
      echo "deploy.sh: replacing Pub/Sub subscription $sub (its filter or message ordering changed)" >&2
      exists pubsub subscriptions describe "$standin" && g pubsub subscriptions delete "$standin"
      g pubsub subscriptions create "$standin" --topic="$TOPIC" --message-filter="$filter" --enable-message-ordering "$@"
      g pubsub subscriptions delete "$sub"
      g pubsub subscriptions create "$sub" --topic="$TOPIC" --message-filter="$filter" --enable-message-ordering "$@"
      g pubsub subscriptions delete "$standin"
      ;;
    *)
      g pubsub subscriptions create "$sub" --topic="$TOPIC" --message-filter="$filter" --enable-message-ordering "$@"
      exists pubsub subscriptions describe "$standin" && g pubsub subscriptions delete "$standin"
      ;;
  esac
  true
}
# A Cloud Scheduler job, created or brought up to date: job <http|pubsub> <name> <settings…> (an update takes the same
# flags, but sets a Pub/Sub job's message attributes with --update-attributes).
job() {
  local verb=create a
  local args=()
  if [ -n "\${DRY_RUN:-}" ]; then [ -n "\${DRY_RUN_EXISTING:-}" ] && verb=update
  elif exists scheduler jobs describe "$2" --location="$REGION"; then verb=update; fi
  for a in "\${@:3}"; do
    if [ "$verb" = update ] && [[ "$a" == --attributes=* ]]; then a="--update-attributes=\${a#--attributes=}"; fi
    args+=("$a")
  done
  # The description is capi-fn's mark on its jobs (they take no labels): the prune stage deletes only jobs carrying it.
  g scheduler jobs "$verb" "$1" "$2" --location="$REGION" --description="$JOB_MARK" "\${args[@]}"
}
# The source of one function: its bundle as index.mjs (and its chunks, in the folder named after it) beside the
# functions-framework it registers with.
stage() {
  if [ -n "\${DRY_RUN:-}" ]; then echo "# stage $1"; return; fi
  local d="$ROOT/.gcp-deploy/$1"
  mkdir -p "$d" && cp "$ROOT/dist/gcp/$1.mjs" "$d/index.mjs" && cp "$ROOT/infra/gcp/package.json" "$d/package.json"
  if [ -d "$ROOT/dist/gcp/$1" ]; then rm -rf "\${d:?}/$1" && cp -r "$ROOT/dist/gcp/$1" "$d/$1"; fi
}

`;

export function renderDeployScript(): string {
  const fns = gcpFunctions();
  const units = handlerUnits();
  const lines: string[] = [];
  const add = (...l: string[]) => lines.push(...l);
  lines.push(PREAMBLE.trimEnd(), 'identities() {');
  const identities = [...fns.map((f) => gcpServiceAccount(f.name)), PUSH_IDENTITY, SCHEDULER_IDENTITY, BRIDGE_IDENTITY];
  for (const id of identities)
    add(
      `  exists iam service-accounts describe "$(sa ${id})" || g iam service-accounts create ${id} --display-name=${q(`capi-fn ${id}`)}`,
    );
  for (const f of fns)
    for (const role of f.roles)
      add(
        `  iam projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:$(sa ${gcpServiceAccount(f.name)})" --role=${role} --condition=None`,
      );
  add('}', '', '# Each function reads only its own kubeconfig.', 'secrets() {');
  for (const f of fns)
    add(
      `  want ${f.name} && iam secrets add-iam-policy-binding ${gcpKubeconfigSecret(f.name)} --member="serviceAccount:$(sa ${gcpServiceAccount(f.name)})" --role=roles/secretmanager.secretAccessor`,
    );
  add('  true', '}', '', 'functions() {');
  for (const f of fns) {
    add(`  if want ${f.name}; then`, deployCommand(f), '  fi');
    if (f.name === WEBHOOKS) add(`  WEBHOOK_URL="\${WEBHOOK_URL:-$(url_of ${WEBHOOKS})}"`);
  }
  add('}', '', 'pubsub() {', '  local url');
  add('  exists pubsub topics describe "$TOPIC" || g pubsub topics create "$TOPIC"');
  add(
    `  iam pubsub topics add-iam-policy-binding "$TOPIC" --member="serviceAccount:$(sa ${BRIDGE_IDENTITY})" --role=roles/pubsub.publisher`,
  );
  for (const u of units) {
    const dl = pubsubDeadLetterName(TOPIC, u.name);
    const sub = pubsubSubscriptionName(TOPIC, u.name);
    const me = `"serviceAccount:$(sa ${gcpServiceAccount(u.name)})"`;
    add(
      `  if want ${u.name}; then`,
      `    exists pubsub topics describe ${dl} || g pubsub topics create ${dl}`,
      // A dead-letter topic without a subscription drops what it is sent.
      `    exists pubsub subscriptions describe ${dl} || g pubsub subscriptions create ${dl} --topic=${dl} --message-retention-duration=7d`,
      // Requeues and its own dead letters (with the reason) are the function's only publishes.
      `    iam pubsub topics add-iam-policy-binding "$TOPIC" --member=${me} --role=roles/pubsub.publisher`,
      `    iam pubsub topics add-iam-policy-binding ${dl} --member=${me} --role=roles/pubsub.publisher`,
      `    iam functions add-invoker-policy-binding ${u.name} --region="$REGION" --member="serviceAccount:$(sa ${PUSH_IDENTITY})"`,
      // An assignment, so a failed lookup stops the run (in an argument it would not): an empty endpoint would
      // turn the live subscription into a pull one, and the function would hear nothing.
      `    url=$(url_of ${u.name})`,
      `    [ -n "$url" ] || { echo "deploy.sh: no URL for function ${u.name}: deploy it first (stage functions)" >&2; exit 1; }`,
      `    push_subscription ${sub} ${pubsubStandInName(TOPIC, u.name)} ${q(pubsubFilterFor(u.subscription).filter)} \\`,
      `      --push-endpoint="$url" --push-auth-service-account="$(sa ${PUSH_IDENTITY})" \\`,
      `      --dead-letter-topic=${dl} --max-delivery-attempts=${MAX_DELIVERY_ATTEMPTS} \\`,
      '      --min-retry-delay=10s --max-retry-delay=600s --ack-deadline=60',
      '  fi',
    );
  }
  // A subscription of capi-fn's on the topic that no handler has any more (one removed or renamed in an upgrade) would
  // go on pushing to a function that is gone: deleted. Every handler's own and its stand-in are kept whatever
  // FUNCTIONS says: after an interrupted replacement the stand-in may be all that receives a handler's events.
  const keep = units.flatMap((u) => [pubsubSubscriptionName(TOPIC, u.name), pubsubStandInName(TOPIC, u.name)]);
  add(
    `  local keep=" ${keep.join(' ')} " name found`,
    '  found=$(subscriptions_of "$TOPIC")',
    '  for name in $found; do',
    `    case "$name" in ${TOPIC}-*) ;; *) continue ;; esac`,
    '    case "$keep" in *" $name "*) continue ;; esac',
    '    echo "deploy.sh: deleting Pub/Sub subscription $name: no handler of this release has it" >&2',
    '    g pubsub subscriptions delete "$name"',
    '  done',
  );
  add('}', '', 'schedules() {', '  local url');
  add(
    `  if want ${DRIFT}; then`,
    `    iam functions add-invoker-policy-binding ${DRIFT} --region="$REGION" --member="serviceAccount:$(sa ${SCHEDULER_IDENTITY})"`,
    `    url=$(url_of ${DRIFT})`,
    `    job http capifn-${DRIFT} \\`,
    `      --schedule=${q(`*/${SCHEDULE_MINUTES} * * * *`)} --uri="$url" --http-method=POST \\`,
    `      --oidc-service-account-email="$(sa ${SCHEDULER_IDENTITY})"`,
    `    iam pubsub topics add-iam-policy-binding "$TOPIC" --member="serviceAccount:$(sa ${gcpServiceAccount(DRIFT)})" --role=roles/pubsub.publisher`,
    '  fi',
  );
  for (const u of units.filter((x) => x.scheduled))
    add(
      `  if want ${u.name}; then`,
      `    job pubsub capifn-${u.name} \\`,
      `      --schedule=${q(`*/${SCHEDULE_MINUTES} * * * *`)} --topic="$TOPIC" --attributes=${ATTR_HANDLER}=${u.name} \\`,
      `      --message-body=${q(JSON.stringify(u.scheduled))}`,
      '  fi',
    );
  add('  true', '}', '');
  // What an earlier release deployed and this one no longer has (a handler removed or renamed in an upgrade): its
  // function would keep its identity and its kubeconfig's access to the cluster, and its Scheduler job would go on
  // publishing. Whatever FUNCTIONS says: these are no function's of this release. After the pubsub stage, which has
  // already deleted the subscription that pushed to it.
  const jobs = [`capifn-${DRIFT}`, ...units.filter((x) => x.scheduled).map((u) => `capifn-${u.name}`)];
  add(
    'prune() {',
    '  local email name found',
    `  local keep=" ${fns.map((f) => f.name).join(' ')} "`,
    // An identity of this release stays even when a removed function ran as it (deployed by hand, or an older layout).
    `  local identities=" ${identities.map((i) => `$(sa ${i})`).join(' ')} "`,
    // Listed first: a failed lookup inside the loop's word list would pass for an empty list.
    '  found=$(labelled_functions)',
    '  for name in $found; do',
    '    case "$keep" in *" $name "*) continue ;; esac',
    '    echo "deploy.sh: deleting function $name: no function of this release has its name" >&2',
    '    email=$(identity_of "$name")',
    '    g functions delete "$name" --gen2 --region="$REGION"',
    // Only an identity this script creates (capifn-…): a function may have been given someone else's by hand.
    '    case "$identities" in *" $email "*) email="" ;; esac',
    '    case "$email" in capifn-*) g iam service-accounts delete "$email" ;; esac',
    '    echo "deploy.sh: the secret capifn-$name-kubeconfig, and the Kubernetes ServiceAccount and RBAC it grants, are yours to delete" >&2',
    '  done',
    `  keep=" ${jobs.join(' ')} "`,
    '  found=$(marked_jobs)',
    '  for name in $found; do',
    '    case "$keep" in *" $name "*) continue ;; esac',
    '    echo "deploy.sh: deleting Scheduler job $name: no handler of this release has it" >&2',
    '    g scheduler jobs delete "$name" --location="$REGION"',
    '  done',
    '  true',
    '}',
    '',
  );
  add(
    `stage_arg="\${1:-all}"`,
    'case "$stage_arg" in',
    '  identities|secrets|functions|pubsub|schedules|prune) "$stage_arg" ;;',
    '  all) identities; secrets; functions; pubsub; schedules; prune ;;',
    '  *) echo "usage: deploy.sh [identities|secrets|functions|pubsub|schedules|prune|all]" >&2; exit 2 ;;',
    'esac',
    '',
  );
  return lines.join('\n');
}

/** The package.json of every function's source: the bundle carries everything but the framework it registers with. */
/** A Google function's package.json: what its bundle leaves to be installed beside it (scripts/build.ts EXTERNAL). */
export function functionPackageJson(dependencies: Record<string, string>): string {
  return `${JSON.stringify(
    {
      name: 'capi-fn-function',
      private: true,
      type: 'module',
      main: 'index.mjs',
      engines: { node: '>=22' },
      dependencies,
    },
    null,
    2,
  )}\n`;
}

/** The in-cluster bridge's bus (infra/bridge/ reads it from the capi-fn-bridge-bus Secret): the topic, nothing secret. */
export function gcpBridgeBusConfig(): Record<string, unknown> {
  return { kind: 'pubsub', projectId: PROJECT_REF, topic: TOPIC };
}

export function renderGcpFiles(dependencies: Record<string, string>): Map<string, string> {
  return new Map([
    ['deploy.sh', renderDeployScript()],
    ['package.json', functionPackageJson(dependencies)],
    [
      'bridge-bus.json',
      `${JSON.stringify({ namespace: DEFAULT_NAMESPACE, secret: 'capi-fn-bridge-bus', key: 'config.json', config: gcpBridgeBusConfig() }, null, 2)}\n`,
    ],
  ]);
}
