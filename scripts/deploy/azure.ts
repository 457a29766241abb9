// infra/azure/: capi-fn on Azure Functions (v4 Node programming model), rendered from the handler declarations.
// One Flex Consumption function app per function, each with a user-assigned managed identity of its own: no
// key or connection string anywhere — storage is reached with identity-based connections, the kubeconfig is a
// Key Vault reference to that function's own secret. The bus is the storage queues the Azure queue and Event
// Grid adapters expect (one per handler with its routing table as metadata, and its `-poison` queue) and an
// Event Grid topic whose subscriptions (eventgrid-filters.ts) deliver into them with the topic's identity.
import {
  azureQueueName,
  DEFAULT_AZURE_QUEUE_PREFIX,
  poisonQueueName,
  queueMetadataFor,
} from '../../shared/bus/azure-queue-codec.ts';
import { eventGridSubscriptionsFor } from '../../shared/bus/eventgrid-filters.ts';
import { STORAGE_CONNECTION } from '../../shared/entrypoints/azure-functions.ts';
import { DRIFT, type HandlerUnit, handlerUnits, WEBHOOKS } from './plan.ts';

export const AZURE_DIR = 'infra/azure';

/** Built-in role definition IDs (Azure RBAC). */
const ROLES = {
  blobOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  queueContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  queueSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
  tableContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

export interface AzureApp {
  fn: string;
  /** dist/azure/<bundle>.mjs becomes the app's index.mjs; dist/azure/<bundle>/ (its chunks) goes beside it. */
  bundle: string;
  singleton: boolean;
  /** The queue its trigger reads (handler functions only). */
  queue?: string;
}

export function azureApps(): AzureApp[] {
  return [
    { fn: WEBHOOKS, bundle: WEBHOOKS, singleton: false },
    ...handlerUnits().map((u) => ({
      fn: u.name,
      bundle: u.bundle,
      singleton: u.singleton,
      queue: azureQueueName(u.name),
    })),
    { fn: DRIFT, bundle: DRIFT, singleton: true },
  ];
}

export const kubeconfigSecretName = (fn: string) => `capifn-${fn}-kubeconfig`;
/**
 * The tags by which a later release's prune stage finds a function's app, plan and identity: capi-fn's of this
 * prefix (several installations may share a resource group), and which function's.
 */
export const PREFIX_TAG = 'capi-fn';
export const FUNCTION_TAG = 'capi-fn-function';
const tagsOf = (fn: string) => ({ [PREFIX_TAG]: "[parameters('prefix')]", [FUNCTION_TAG]: fn });
const siteName = (fn: string) => `[format('{0}-${fn}', parameters('prefix'))]`;
const identityId = (fn: string) =>
  `[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('{0}-${fn}', parameters('prefix')))]`;
const principal = (fn: string) => `[reference(${identityId(fn).slice(1, -1)}, '2023-01-31').principalId]`;
const clientId = (fn: string) => `[reference(${identityId(fn).slice(1, -1)}, '2023-01-31').clientId]`;
const BUS = "variables('busAccount')";
const HOST = "variables('hostAccount')";
const busQueueId = (queue: string) =>
  `resourceId('Microsoft.Storage/storageAccounts/queueServices/queues', ${BUS}, 'default', '${queue}')`;

function roleAssignment(name: string, scope: string, role: string, fn: string, dependsOn: string[]): object {
  return {
    type: 'Microsoft.Authorization/roleAssignments',
    apiVersion: '2022-04-01',
    scope,
    name: `[guid(${scope.startsWith('[') ? scope.slice(1, -1) : `'${scope}'`}, '${fn}', '${role}')]`,
    dependsOn,
    properties: {
      roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${role}')]`,
      principalId: principal(fn),
      principalType: 'ServicePrincipal',
    },
    metadata: { description: name },
  };
}

function storageAccount(nameExpr: string): object {
  return {
    type: 'Microsoft.Storage/storageAccounts',
    apiVersion: '2023-05-01',
    name: `[${nameExpr}]`,
    location: "[parameters('location')]",
    kind: 'StorageV2',
    sku: { name: 'Standard_LRS' },
    properties: {
      // Identities only: no account key can be used, so none can leak.
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
      supportsHttpsTrafficOnly: true,
    },
  };
}

function appResources(a: AzureApp, units: HandlerUnit[]): object[] {
  const plan = `[format('{0}-${a.fn}-plan', parameters('prefix'))]`;
  const container = `deploy-${a.fn}`;
  const identity = `[format('{0}-${a.fn}', parameters('prefix'))]`;
  const hostAccountId = `[resourceId('Microsoft.Storage/storageAccounts', ${HOST})]`;
  const identityDep = identityId(a.fn);
  const settings: Array<{ name: string; value: string }> = [
    { name: 'AzureWebJobsStorage__accountName', value: `[${HOST}]` },
    { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' },
    { name: 'AzureWebJobsStorage__clientId', value: clientId(a.fn) },
    { name: 'CAPI_FN_FUNCTION', value: a.fn },
    {
      name: 'CAPI_FN_KUBECONFIG_DATA',
      value: `[format('@Microsoft.KeyVault(VaultName={0};SecretName=${kubeconfigSecretName(a.fn)})', parameters('keyVaultName'))]`,
    },
  ];
  if (a.fn !== WEBHOOKS)
    settings.push(
      {
        name: `${STORAGE_CONNECTION}__queueServiceUri`,
        value: `[format('https://{0}.queue.{1}', ${BUS}, environment().suffixes.storage)]`,
      },
      { name: `${STORAGE_CONNECTION}__credential`, value: 'managedidentity' },
      { name: `${STORAGE_CONNECTION}__clientId`, value: clientId(a.fn) },
    );
  if (units.find((u) => u.name === a.fn)?.scheduled)
    settings.push({
      name: 'CAPI_FN_WEBHOOK_URL',
      value: `[format('https://{0}/api', reference(resourceId('Microsoft.Web/sites', format('{0}-${WEBHOOKS}', parameters('prefix'))), '2024-04-01').defaultHostName)]`,
    });
  const grants: object[] = [
    roleAssignment(`${a.fn}: its deployment package and the host's own blobs`, hostAccountId, ROLES.blobOwner, a.fn, [
      identityDep,
      hostAccountId,
    ]),
    roleAssignment(`${a.fn}: the host's own queues`, hostAccountId, ROLES.queueContributor, a.fn, [
      identityDep,
      hostAccountId,
    ]),
    roleAssignment(`${a.fn}: the host's own tables`, hostAccountId, ROLES.tableContributor, a.fn, [
      identityDep,
      hostAccountId,
    ]),
    roleAssignment(
      `${a.fn}: its own kubeconfig`,
      `[resourceId('Microsoft.KeyVault/vaults/secrets', parameters('keyVaultName'), '${kubeconfigSecretName(a.fn)}')]`,
      ROLES.keyVaultSecretsUser,
      a.fn,
      [identityDep],
    ),
  ];
  if (a.queue)
    for (const q of [a.queue, poisonQueueName(a.queue)])
      grants.push(
        roleAssignment(`${a.fn}: reads and requeues on ${q}`, `[${busQueueId(q)}]`, ROLES.queueContributor, a.fn, [
          identityDep,
          `[${busQueueId(q)}]`,
        ]),
      );
  if (a.fn === DRIFT)
    for (const u of units) {
      if (u.scheduled) continue;
      const q = azureQueueName(u.name);
      grants.push(
        roleAssignment(`drift: resyncs into ${q}`, `[${busQueueId(q)}]`, ROLES.queueSender, a.fn, [
          identityDep,
          `[${busQueueId(q)}]`,
        ]),
      );
    }
  return [
    {
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      apiVersion: '2023-01-31',
      name: identity,
      location: "[parameters('location')]",
      tags: tagsOf(a.fn),
    },
    {
      type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
      apiVersion: '2023-05-01',
      name: `[format('{0}/default/${container}', ${HOST})]`,
      dependsOn: [hostAccountId],
    },
    {
      type: 'Microsoft.Web/serverfarms',
      apiVersion: '2024-04-01',
      name: plan,
      location: "[parameters('location')]",
      tags: tagsOf(a.fn),
      kind: 'functionapp',
      sku: { tier: 'FlexConsumption', name: 'FC1' },
      properties: { reserved: true },
    },
    {
      type: 'Microsoft.Web/sites',
      apiVersion: '2024-04-01',
      name: siteName(a.fn),
      location: "[parameters('location')]",
      tags: tagsOf(a.fn),
      kind: 'functionapp,linux',
      identity: { type: 'UserAssigned', userAssignedIdentities: { [identityDep]: {} } },
      dependsOn: [
        `[resourceId('Microsoft.Web/serverfarms', format('{0}-${a.fn}-plan', parameters('prefix')))]`,
        identityDep,
        ...(units.find((u) => u.name === a.fn)?.scheduled
          ? [`[resourceId('Microsoft.Web/sites', format('{0}-${WEBHOOKS}', parameters('prefix')))]`]
          : []),
      ],
      properties: {
        serverFarmId: `[resourceId('Microsoft.Web/serverfarms', format('{0}-${a.fn}-plan', parameters('prefix')))]`,
        httpsOnly: true,
        keyVaultReferenceIdentity: identityDep,
        functionAppConfig: {
          deployment: {
            storage: {
              type: 'blobContainer',
              value: `[format('https://{0}.blob.{1}/${container}', ${HOST}, environment().suffixes.storage)]`,
              authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityDep },
            },
          },
          // A singleton reconciles one object and must not race itself (with host.singleton.json's batchSize 1).
          scaleAndConcurrency: { maximumInstanceCount: a.singleton ? 1 : 40, instanceMemoryMB: 2048 },
          runtime: { name: 'node', version: '22' },
        },
        siteConfig: { minTlsVersion: '1.2', ftpsState: 'Disabled', appSettings: settings },
      },
    },
    ...grants,
  ];
}

export function azureTemplate(): Record<string, unknown> {
  const units = handlerUnits();
  const apps = azureApps();
  const busAccountId = `[resourceId('Microsoft.Storage/storageAccounts', ${BUS})]`;
  const queues = units.flatMap((u) => {
    const q = azureQueueName(u.name);
    return [
      {
        type: 'Microsoft.Storage/storageAccounts/queueServices/queues',
        apiVersion: '2023-05-01',
        name: `[format('{0}/default/${q}', ${BUS})]`,
        dependsOn: [busAccountId],
        // The routing table the Azure queue bus publishes by (fan-out) and its consumers read.
        properties: { metadata: queueMetadataFor(u.subscription) },
      },
      {
        type: 'Microsoft.Storage/storageAccounts/queueServices/queues',
        apiVersion: '2023-05-01',
        name: `[format('{0}/default/${poisonQueueName(q)}', ${BUS})]`,
        dependsOn: [busAccountId],
      },
    ];
  });
  const topicId = "[resourceId('Microsoft.EventGrid/topics', variables('topic'))]";
  const subscriptions = units.flatMap((u) => {
    const q = azureQueueName(u.name);
    return eventGridSubscriptionsFor(u.subscription, { queueName: q, storageAccountResourceId: busAccountId }).map(
      (s) => {
        const { destination, ...rest } = s.body.properties;
        return {
          type: 'Microsoft.EventGrid/topics/eventSubscriptions',
          apiVersion: '2025-02-15',
          name: `[format('{0}/${s.name}', variables('topic'))]`,
          dependsOn: [topicId, `[${busQueueId(q)}]`, `[guid(${busQueueId(q)}, 'topic', '${ROLES.queueSender}')]`],
          // Delivered with the topic's own identity (no storage key).
          properties: { ...rest, deliveryWithResourceIdentity: { identity: { type: 'SystemAssigned' }, destination } },
        };
      },
    );
  });
  const topicGrants = units.map((u) => {
    const q = busQueueId(azureQueueName(u.name));
    return {
      type: 'Microsoft.Authorization/roleAssignments',
      apiVersion: '2022-04-01',
      scope: `[${q}]`,
      name: `[guid(${q}, 'topic', '${ROLES.queueSender}')]`,
      dependsOn: [topicId, `[${q}]`],
      properties: {
        roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${ROLES.queueSender}')]`,
        principalId: `[reference(${topicId.slice(1, -1)}, '2025-02-15', 'full').identity.principalId]`,
        principalType: 'ServicePrincipal',
      },
    };
  });
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    metadata: {
      description:
        'capi-fn on Azure Functions. Generated by `npm run gen:deploy` from the handler declarations (functions/registry.ts). Do not edit.',
    },
    parameters: {
      prefix: {
        type: 'string',
        minLength: 3,
        maxLength: 20,
        metadata: { description: 'Name prefix of every resource (lowercase letters, digits, hyphens)' },
      },
      keyVaultName: {
        type: 'string',
        metadata: {
          description: 'An existing Key Vault (RBAC mode) holding capifn-<function>-kubeconfig for every function',
        },
      },
      location: { type: 'string', defaultValue: '[resourceGroup().location]' },
    },
    variables: {
      busAccount: "[take(format('capifnbus{0}', uniqueString(resourceGroup().id, parameters('prefix'))), 24)]",
      hostAccount: "[take(format('capifnhost{0}', uniqueString(resourceGroup().id, parameters('prefix'))), 24)]",
      topic: "[format('{0}-events', parameters('prefix'))]",
    },
    resources: [
      storageAccount(BUS),
      storageAccount(HOST),
      {
        type: 'Microsoft.EventGrid/topics',
        apiVersion: '2025-02-15',
        name: "[variables('topic')]",
        location: "[parameters('location')]",
        identity: { type: 'SystemAssigned' },
        properties: { inputSchema: 'CloudEventSchemaV1_0', disableLocalAuth: true, publicNetworkAccess: 'Enabled' },
      },
      ...queues,
      ...topicGrants,
      ...subscriptions,
      ...apps.flatMap((a) => appResources(a, units)),
    ],
    outputs: {
      // The storage accounts' names (uniqueString'd), for the prune stage's listings of queues and containers.
      busAccount: { type: 'string', value: `[${BUS}]` },
      hostAccount: { type: 'string', value: `[${HOST}]` },
      queueServiceUri: {
        type: 'string',
        value: `[format('https://{0}.queue.{1}', ${BUS}, environment().suffixes.storage)]`,
      },
      topicEndpoint: { type: 'string', value: `[reference(${topicId.slice(1, -1)}, '2025-02-15').endpoint]` },
      webhookUrl: {
        type: 'string',
        value: `[format('https://{0}/api', reference(resourceId('Microsoft.Web/sites', format('{0}-${WEBHOOKS}', parameters('prefix'))), '2024-04-01').defaultHostName)]`,
      },
    },
  };
}

/** host.json of every app; the singleton's takes one message at a time. */
export function hostJson(singleton: boolean): Record<string, unknown> {
  return {
    version: '2.0',
    extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
    functionTimeout: '00:10:00',
    extensions: {
      queues: singleton
        ? {
            batchSize: 1,
            newBatchThreshold: 0,
            maxDequeueCount: 30,
            visibilityTimeout: '00:00:10',
            maxPollingInterval: '00:00:02',
          }
        : {
            batchSize: 16,
            newBatchThreshold: 8,
            maxDequeueCount: 10,
            visibilityTimeout: '00:00:10',
            maxPollingInterval: '00:00:02',
          },
      http: { routePrefix: 'api' },
    },
    logging: { logLevel: { default: 'Information', Function: 'Information' } },
  };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

const DEPLOY_SCRIPT = `#!/usr/bin/env bash
# Generated by \`npm run gen:deploy\`. capi-fn on Azure Functions (Flex Consumption), with the Azure CLI.
#
#   RESOURCE_GROUP=<rg> PREFIX=<prefix> KEY_VAULT=<vault> infra/azure/deploy.sh [infrastructure|code|prune|all]
#
# Before: \`npm run build\` (dist/azure/), and in KEY_VAULT (RBAC mode) one secret per function,
# capifn-<function>-kubeconfig, holding that function's own kubeconfig (infra/rbac/: its ServiceAccount).
# DRY_RUN=1 prints the commands instead of running them (the prune stage still reads, with az, what to delete).
set -euo pipefail
: "\${RESOURCE_GROUP:?set RESOURCE_GROUP}"
: "\${PREFIX:?set PREFIX, the name prefix of every resource}"
: "\${KEY_VAULT:?set KEY_VAULT, the Key Vault holding the kubeconfig secrets}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
a() { if [ -n "\${DRY_RUN:-}" ]; then printf 'az'; printf ' %q' "$@"; echo; else az "$@"; fi; }

infrastructure() {
  a deployment group create --resource-group "$RESOURCE_GROUP" --name "capi-fn-$PREFIX" \\
    --template-file "$ROOT/infra/azure/azuredeploy.json" --parameters prefix="$PREFIX" keyVaultName="$KEY_VAULT"
  # Event Grid subscriptions of capi-fn's (capifn-…) that the template no longer has (a handler removed or renamed,
  # its events grouped otherwise) are deleted: an incremental deployment leaves them, and they would go on delivering
  # into the queues. DRY_RUN_EXISTING names the existing ones for a dry run.
  local topic="$PREFIX-events" existing name
  if [ -n "\${DRY_RUN:-}" ]; then
    existing="\${DRY_RUN_EXISTING:-}"
  else
    existing="$(az eventgrid topic event-subscription list --resource-group "$RESOURCE_GROUP" --topic-name "$topic" \\
      --query "[].name" --output tsv)"
  fi
  for name in $existing; do
    case "$name" in capifn-*) ;; *) continue ;; esac
    grep -qxF "$name" "$ROOT/infra/azure/subscriptions.txt" ||
      a eventgrid topic event-subscription delete --resource-group "$RESOURCE_GROUP" --topic-name "$topic" \\
        --name "$name" --yes
  done
}

# One package per app: its host.json, the package.json, and its function's bundle as index.mjs with the chunks it
# loads on use (the folder named after the bundle).
code() {
  while read -r fn bundle host; do
    local d="$ROOT/.azure-deploy/$fn"
    if [ -z "\${DRY_RUN:-}" ]; then
      rm -rf "$d" && mkdir -p "$d"
      cp "$ROOT/dist/azure/$bundle.mjs" "$d/index.mjs"
      if [ -d "$ROOT/dist/azure/$bundle" ]; then cp -r "$ROOT/dist/azure/$bundle" "$d/$bundle"; fi
      cp "$ROOT/infra/azure/$host" "$d/host.json"
      cp "$ROOT/infra/azure/package.json" "$d/package.json"
      (cd "$d" && zip -qr ../"$fn".zip .)
    fi
    a functionapp deployment source config-zip --resource-group "$RESOURCE_GROUP" --name "$PREFIX-$fn" --src "$ROOT/.azure-deploy/$fn.zip"
  done < "$ROOT/infra/azure/apps.txt"
}

# What an earlier release deployed and this one no longer has (a handler removed or renamed in an upgrade): its app
# would go on running as an identity that can still read its kubeconfig, and its queues and package would stay. The
# app, its plan and its identity are found by the tags the template puts on them (capi-fn: this PREFIX, several may
# share a resource group; capi-fn-function: whose), read from the resource group's listing: ARM leaves tags out of a
# listing filtered by tag. Resources deployed before those tags existed are not found. Queues and deployment
# containers are found by name, in this PREFIX's storage accounts (its deployment's outputs). Reads run in a dry run
# too (they change nothing); a read that fails ends the stage rather than pass for an empty list.
get() { az rest --method get --url "$1" --query "$2" --output tsv </dev/null; }
gone() { a rest --method delete --url "$1" </dev/null; }
# The role assignments made at scope $1 itself, deleted: atScope() lists those inherited from above it too, and ARM
# may answer a scope in other letter case than it was made in. Called in a condition (errexit is off inside), so
# each failure returns.
unassign_at() {
  local listed scope ra
  listed=$(get "$1/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&\\$filter=atScope()" \\
    "value[].[properties.scope, id]") || return
  while read -r scope ra; do
    if [ -n "$ra" ] && [ "\${scope,,}" = "\${1,,}" ]; then gone "$ra?api-version=2022-04-01" || return; fi
  done <<<"$listed"
}

prune() {
  local keep queues sub base found kind version fn type id pid ras ra accounts bus host name
  keep=" $(cut -d' ' -f1 "$ROOT/infra/azure/apps.txt" | tr '\\n' ' ')"
  queues=" $(tr '\\n' ' ' <"$ROOT/infra/azure/queues.txt")"
  sub=$(az account show --query id --output tsv) || return
  base="/subscriptions/$sub/resourceGroups/$RESOURCE_GROUP"
  # This prefix's storage accounts first: where its deployment names none (deployed by an older release, before
  # the infrastructure stage ran again), the stage ends before deleting anything.
  accounts=$(get "$base/providers/Microsoft.Resources/deployments/capi-fn-$PREFIX?api-version=2021-04-01" \\
    "[properties.outputs.busAccount.value || '', properties.outputs.hostAccount.value || '']") || return
  read -r -d '' bus host <<<"$accounts" || true
  if [ -z "\${bus:-}" ] || [ -z "\${host:-}" ]; then
    echo "deploy.sh: the deployment capi-fn-$PREFIX names no storage accounts (an older release's?): run the infrastructure stage first" >&2
    return 1
  fi
  # az resource list follows the listing's pages (az rest would stop at the first).
  found=$(az resource list --resource-group "$RESOURCE_GROUP" --output tsv \\
    --query "[?tags.\\"${PREFIX_TAG}\\"=='$PREFIX'].[type, id, tags.\\"${FUNCTION_TAG}\\" || '']" </dev/null) || return
  # The app first (it runs on the plan, as the identity), then its plan, then the identity with what it was granted:
  # a deleted identity's role assignments would stay behind as "Identity not found".
  for kind in Microsoft.Web/sites@2024-04-01 Microsoft.Web/serverfarms@2024-04-01 \\
    Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31; do
    version="\${kind#*@}" kind="\${kind%@*}"
    # The function's tag last, '' when absent (az prints a null as None): tab is whitespace to read, so an empty
    # field before others would shift them into its place.
    while read -r type id fn; do
      if [ -z "$fn" ] || [ "\${type,,}" != "\${kind,,}" ]; then continue; fi
      case "$keep" in *" $fn "*) continue ;; esac
      echo "deploy.sh: deleting $type $(basename "$id"): no function of this release is $fn" >&2
      if [ "$kind" = Microsoft.ManagedIdentity/userAssignedIdentities ]; then
        pid=$(get "$id?api-version=$version" "properties.principalId || ''") || return
        if [ -n "$pid" ]; then
          ras=$(get "/subscriptions/$sub/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&\\$filter=principalId eq '$pid'" \\
            "value[].id") || return
          for ra in $ras; do gone "$ra?api-version=2022-04-01" || return; done
        fi
      fi
      gone "$id?api-version=$version"
      if [ "$kind" = Microsoft.Web/sites ]; then
        echo "deploy.sh: the Key Vault secret capifn-$fn-kubeconfig, and the Kubernetes ServiceAccount and RBAC it grants, are yours to delete" >&2
      fi
    done <<<"$found"
  done
  found=$(get "$base/providers/Microsoft.Storage/storageAccounts/$bus/queueServices/default/queues?api-version=2023-05-01" \\
    "value[].name") || return
  for name in $found; do
    case "$name" in ${DEFAULT_AZURE_QUEUE_PREFIX}*) ;; *) continue ;; esac
    case "$queues" in *" $name "*) continue ;; esac
    echo "deploy.sh: deleting queue $name: no handler of this release reads it" >&2
    id="$base/providers/Microsoft.Storage/storageAccounts/$bus/queueServices/default/queues/$name"
    # What was granted on it (the topic's sender role, the drift check's): they would outlive the queue.
    unassign_at "$id" || return
    gone "$id?api-version=2023-05-01"
  done
  found=$(get "$base/providers/Microsoft.Storage/storageAccounts/$host/blobServices/default/containers?api-version=2023-05-01" \\
    "value[].name") || return
  for name in $found; do
    case "$name" in deploy-*) ;; *) continue ;; esac
    case "$keep" in *" \${name#deploy-} "*) continue ;; esac
    echo "deploy.sh: deleting container $name: no function of this release is deployed from it" >&2
    gone "$base/providers/Microsoft.Storage/storageAccounts/$host/blobServices/default/containers/$name?api-version=2023-05-01"
  done
}

case "\${1:-all}" in
  infrastructure|code|prune) "$1" ;;
  all) infrastructure; code; prune ;;
  *) echo "usage: deploy.sh [infrastructure|code|prune|all]" >&2; exit 2 ;;
esac
`;

/** Every queue of the release, with its poison queue (what the prune stage keeps). */
export function azureQueueNames(): string[] {
  return azureApps()
    .flatMap((a) => (a.queue ? [a.queue, poisonQueueName(a.queue)] : []))
    .sort();
}

/** The Event Grid subscriptions the template creates, by name (what deploy.sh keeps). */
export function azureSubscriptionNames(): string[] {
  const names: string[] = [];
  for (const r of azureTemplate().resources as Array<{ type: string; name: string }>) {
    if (r.type !== 'Microsoft.EventGrid/topics/eventSubscriptions') continue;
    const m = /^\[format\('\{0\}\/([^']+)', variables\('topic'\)\)\]$/.exec(r.name);
    if (!m) throw new Error(`unexpected event subscription name ${r.name}`);
    names.push(m[1]!);
  }
  return names.sort();
}

export function renderAzureFiles(): Map<string, string> {
  return new Map([
    ['azuredeploy.json', json(azureTemplate())],
    ['host.json', json(hostJson(false))],
    ['host.singleton.json', json(hostJson(true))],
    [
      'package.json',
      json({
        name: 'capi-fn-function-app',
        private: true,
        type: 'module',
        main: 'index.mjs',
        engines: { node: '>=22' },
      }),
    ],
    [
      'apps.txt',
      azureApps()
        .map((x) => `${x.fn} ${x.bundle} ${x.singleton ? 'host.singleton.json' : 'host.json'}\n`)
        .join(''),
    ],
    ['deploy.sh', DEPLOY_SCRIPT],
    [
      'queues.txt',
      azureQueueNames()
        .map((n) => `${n}\n`)
        .join(''),
    ],
    [
      'subscriptions.txt',
      azureSubscriptionNames()
        .map((n) => `${n}\n`)
        .join(''),
    ],
  ]);
}
