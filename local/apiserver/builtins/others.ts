// Built-in kinds outside the core group: events.k8s.io Event (a view of core events), Lease, PodDisruptionBudget,
// CustomResourceDefinition, webhook configurations, RBAC (stored, not enforced) and Deployment (stored only).
import { defaultCrd, validateCrd } from '../crd/definition.ts';
import type { ResourceDef } from '../registry.ts';
import { type FieldError, fieldErrors } from '../status-errors.ts';
import { ageColumn, column, nameColumn, since } from '../table.ts';
import { asArray, asObject, asString, isObject, type JsonObject } from '../util.ts';
import { eventFieldLabels } from './core.ts';
import {
  arr,
  bool,
  builtin,
  conditions,
  int,
  intOrString,
  labelSelector,
  obj,
  open,
  podSpecStrategies,
  root,
  str,
  time,
} from './helpers.ts';

/** events.k8s.io/v1 ↔ core/v1 Event: same storage, renamed fields (upstream converts through the internal type). */
const EVENT_RENAMES: Array<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function renameFields(o: JsonObject, pairs: Array<[string, string]>, apiVersion: string): JsonObject {
  const out: JsonObject = { ...o, apiVersion };
  for (const [from, to] of pairs) {
    delete out[from];
    if (o[from] !== undefined) out[to] = o[from];
  }
  return out;
}

const eventsV1 = builtin(
  {
    group: 'events.k8s.io',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    schema: root('Event', {
      eventTime: { type: 'string', format: 'date-time' },
      series: obj({ count: int(), lastObservedTime: { type: 'string', format: 'date-time' } }),
      reportingController: str(),
      reportingInstance: str(),
      action: str(),
      reason: str(),
      regarding: open(),
      related: open(),
      note: str(),
      type: str(),
      deprecatedSource: obj({ component: str(), host: str() }),
      deprecatedFirstTimestamp: time(),
      deprecatedLastTimestamp: time(),
      deprecatedCount: int(),
    }),
    columns: [
      column('Last Seen', (o, now) => since(o.deprecatedLastTimestamp ?? o.eventTime, now)),
      column('Type', (o) => asString(o.type) ?? ''),
      column('Reason', (o) => asString(o.reason) ?? ''),
      column('Object', (o) => {
        const r = asObject(o.regarding);
        return `${(asString(r.kind) ?? '').toLowerCase()}/${asString(r.name) ?? ''}`;
      }),
      column('Message', (o) => asString(o.note) ?? ''),
    ],
  },
  {
    storageKey: 'events',
    storageVersion: 'v1',
    fieldLabels: eventFieldLabels,
    toStorage: (o) => renameFields(o, EVENT_RENAMES, 'v1'),
    fromStorage: (o) =>
      renameFields(
        o,
        EVENT_RENAMES.map(([a, b]) => [b, a]),
        'events.k8s.io/v1',
      ),
  },
);

const lease = builtin({
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  namespaced: true,
  schema: root('Lease', {
    spec: obj({
      holderIdentity: str(),
      leaseDurationSeconds: int(),
      acquireTime: { type: 'string', format: 'date-time' },
      renewTime: { type: 'string', format: 'date-time' },
      leaseTransitions: int(),
      strategy: str(),
      preferredHolder: str(),
    }),
  }),
  columns: [nameColumn, column('Holder', (o) => asString(asObject(o.spec).holderIdentity) ?? ''), ageColumn],
});

const intOrPercent = (v: unknown) => (v === undefined ? 'N/A' : String(v));

const pdb = builtin(
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
    tracksGeneration: true,
    schema: root('PodDisruptionBudget', {
      spec: obj({
        minAvailable: intOrString(),
        maxUnavailable: intOrString(),
        selector: labelSelector(),
        unhealthyPodEvictionPolicy: str(),
      }),
      status: obj({
        observedGeneration: int(),
        disruptedPods: { type: 'object', additionalProperties: time() },
        disruptionsAllowed: int(),
        currentHealthy: int(),
        desiredHealthy: int(),
        expectedPods: int(),
        conditions: conditions(),
      }),
    }),
    columns: [
      nameColumn,
      column('Min Available', (o) => intOrPercent(asObject(o.spec).minAvailable)),
      column('Max Unavailable', (o) => intOrPercent(asObject(o.spec).maxUnavailable)),
      column('Allowed Disruptions', (o) => asObject(o.status).disruptionsAllowed ?? 0, { type: 'integer' }),
      ageColumn,
    ],
    smp: { 'status.conditions': { merge: true, mergeKey: 'type' } },
  },
  {
    validate: (o) => {
      const spec = asObject(o.spec);
      const errs: FieldError[] = [];
      if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
        errs.push(fieldErrors.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
      for (const f of ['minAvailable', 'maxUnavailable']) {
        const v = spec[f];
        if (typeof v === 'number' && v < 0)
          errs.push(fieldErrors.invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
        if (typeof v === 'string' && !/^\d+%$/.test(v))
          errs.push(
            fieldErrors.invalid(
              `spec.${f}`,
              v,
              "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            ),
          );
      }
      return errs;
    },
  },
);

const crd = builtin(
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
    tracksGeneration: true,
    schema: root('CustomResourceDefinition', {
      spec: open('spec describes how the user wants the resources to appear'),
      status: open(),
    }),
    columns: [
      nameColumn,
      column('Created At', (o) => asString(asObject(o.metadata).creationTimestamp) ?? '', { type: 'date' }),
    ],
    smp: { 'status.conditions': { merge: true, mergeKey: 'type' } },
  },
  { prepare: (o) => defaultCrd(o), validate: (o) => validateCrd(o) },
);

function webhookConfig(kind: string, resource: string, mutating: boolean): ResourceDef {
  return builtin(
    {
      group: 'admissionregistration.k8s.io',
      version: 'v1',
      resource,
      kind,
      namespaced: false,
      categories: ['api-extensions'],
      tracksGeneration: true,
      schema: root(kind, { webhooks: arr(open()) }),
      columns: [nameColumn, column('Webhooks', (o) => asArray(o.webhooks).length, { type: 'integer' }), ageColumn],
      smp: { webhooks: { merge: true, mergeKey: 'name' } },
    },
    {
      prepare: (o) => {
        for (const w of asArray(o.webhooks)) {
          if (!isObject(w)) continue;
          w.failurePolicy ??= 'Fail';
          w.matchPolicy ??= 'Equivalent';
          w.timeoutSeconds ??= 10;
          w.namespaceSelector ??= {};
          w.objectSelector ??= {};
          if (mutating) w.reinvocationPolicy ??= 'Never';
          for (const r of asArray(w.rules)) if (isObject(r)) r.scope ??= '*';
          const cc = asObject(w.clientConfig);
          if (isObject(cc.service)) cc.service.port ??= 443;
        }
      },
      validate: (o) => validateWebhooks(o),
    },
  );
}

function validateWebhooks(o: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asArray(o.webhooks).forEach((w, i) => {
    const p = `webhooks[${i}]`;
    const wh = asObject(w);
    const name = asString(wh.name) ?? '';
    if (!name) errs.push(fieldErrors.required(`${p}.name`));
    else if (name.split('.').length < 3)
      errs.push(
        fieldErrors.invalid(`${p}.name`, name, 'should be a domain with at least three segments separated by dots'),
      );
    else if (seen.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
    seen.add(name);
    const se = wh.sideEffects;
    if (se === undefined) errs.push(fieldErrors.required(`${p}.sideEffects`, 'must specify one of None, NoneOnDryRun'));
    else if (se !== 'None' && se !== 'NoneOnDryRun')
      errs.push(fieldErrors.notSupported(`${p}.sideEffects`, se, ['None', 'NoneOnDryRun']));
    if (asArray(wh.admissionReviewVersions).length === 0)
      errs.push(fieldErrors.required(`${p}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    const cc = asObject(wh.clientConfig);
    if (cc.url === undefined && cc.service === undefined)
      errs.push(fieldErrors.required(`${p}.clientConfig`, 'exactly one of url or service is required'));
    if (cc.url !== undefined && cc.service !== undefined)
      errs.push(fieldErrors.required(`${p}.clientConfig`, 'exactly one of url or service is required'));
    if (typeof cc.url === 'string') {
      let u: URL | undefined;
      try {
        u = new URL(cc.url);
      } catch {
        u = undefined;
      }
      if (u?.protocol !== 'https:')
        errs.push(fieldErrors.invalid(`${p}.clientConfig.url`, cc.url, "'https' is the only allowed URL scheme"));
      else if (u.username || u.password || u.hash || u.search)
        errs.push(
          fieldErrors.invalid(
            `${p}.clientConfig.url`,
            cc.url,
            'user information, fragments and query parameters are not permitted',
          ),
        );
    }
    const t = wh.timeoutSeconds;
    if (typeof t === 'number' && (t < 1 || t > 30))
      errs.push(fieldErrors.invalid(`${p}.timeoutSeconds`, t, 'the timeout value must be between 1 and 30 seconds'));
    const fp = wh.failurePolicy;
    if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore')
      errs.push(fieldErrors.notSupported(`${p}.failurePolicy`, fp, ['Fail', 'Ignore']));
  });
  return errs;
}

const policyRule = () =>
  obj({
    apiGroups: arr(str()),
    resources: arr(str()),
    verbs: arr(str()),
    resourceNames: arr(str()),
    nonResourceURLs: arr(str()),
  });
const subjects = () => arr(obj({ kind: str(), apiGroup: str(), name: str(), namespace: str() }));
const roleRef = () => obj({ apiGroup: str(), kind: str(), name: str() });

const createdAt = column('Created At', (o) => asString(asObject(o.metadata).creationTimestamp) ?? '', { type: 'date' });
const bindingRole = column('Role', (o) => {
  const r = asObject(o.roleRef);
  return `${asString(r.kind) ?? ''}/${asString(r.name) ?? ''}`;
});
const subjectNames = (kind: string) => (o: JsonObject) =>
  asArray(o.subjects)
    .map(asObject)
    .filter((s) => s.kind === kind)
    .map((s) =>
      kind === 'ServiceAccount' ? `${asString(s.namespace) ?? ''}/${asString(s.name) ?? ''}` : asString(s.name),
    )
    .join(', ');
const bindingColumns = [
  nameColumn,
  bindingRole,
  ageColumn,
  column('Users', subjectNames('User'), { priority: 1 }),
  column('Groups', subjectNames('Group'), { priority: 1 }),
  column('ServiceAccounts', subjectNames('ServiceAccount'), { priority: 1 }),
];

const rbacGroup = 'rbac.authorization.k8s.io';
const role = builtin({
  group: rbacGroup,
  version: 'v1',
  resource: 'roles',
  kind: 'Role',
  namespaced: true,
  schema: root('Role', { rules: arr(policyRule()) }),
  columns: [nameColumn, createdAt],
});
const clusterRole = builtin({
  group: rbacGroup,
  version: 'v1',
  resource: 'clusterroles',
  kind: 'ClusterRole',
  namespaced: false,
  schema: root('ClusterRole', { rules: arr(policyRule()), aggregationRule: open() }),
  columns: [nameColumn, createdAt],
});
const roleBinding = builtin({
  group: rbacGroup,
  version: 'v1',
  resource: 'rolebindings',
  kind: 'RoleBinding',
  namespaced: true,
  schema: root('RoleBinding', { subjects: subjects(), roleRef: roleRef() }),
  columns: bindingColumns,
});
const clusterRoleBinding = builtin({
  group: rbacGroup,
  version: 'v1',
  resource: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  namespaced: false,
  schema: root('ClusterRoleBinding', { subjects: subjects(), roleRef: roleRef() }),
  columns: bindingColumns,
});

const deployStatus = (o: JsonObject, k: string) => {
  const v = asObject(o.status)[k];
  return typeof v === 'number' ? v : 0;
};

const deployment = builtin(
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    tracksGeneration: true,
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.spec.selector',
    },
    schema: root('Deployment', {
      spec: obj({
        replicas: int(),
        selector: labelSelector(),
        template: open(),
        strategy: open(),
        minReadySeconds: int(),
        revisionHistoryLimit: int(),
        paused: bool(),
        progressDeadlineSeconds: int(),
      }),
      status: open(),
    }),
    columns: [
      nameColumn,
      column('Ready', (o) => `${deployStatus(o, 'readyReplicas')}/${asObject(o.spec).replicas ?? 0}`),
      column('Up-to-date', (o) => deployStatus(o, 'updatedReplicas'), { type: 'integer' }),
      column('Available', (o) => deployStatus(o, 'availableReplicas'), { type: 'integer' }),
      ageColumn,
      column(
        'Containers',
        (o) =>
          asArray(asObject(asObject(asObject(o.spec).template).spec).containers)
            .map((c) => asString(asObject(c).name))
            .join(','),
        { priority: 1 },
      ),
      column(
        'Images',
        (o) =>
          asArray(asObject(asObject(asObject(o.spec).template).spec).containers)
            .map((c) => asString(asObject(c).image))
            .join(','),
        { priority: 1 },
      ),
      column(
        'Selector',
        (o) =>
          Object.entries(asObject(asObject(asObject(o.spec).selector).matchLabels))
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(','),
        { priority: 1 },
      ),
    ],
    smp: {
      ...podSpecStrategies('spec.template.spec.'),
      'status.conditions': { merge: true, mergeKey: 'type' },
    },
  },
  {
    prepare: (o) => {
      const spec = asObject(o.spec);
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const strategy = asObject(spec.strategy);
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = asObject(strategy.rollingUpdate);
        ru.maxUnavailable ??= '25%';
        ru.maxSurge ??= '25%';
        strategy.rollingUpdate = ru;
      }
      spec.strategy = strategy;
      o.spec = spec;
    },
    validate: (o) => {
      const spec = asObject(o.spec);
      const errs: FieldError[] = [];
      if (!isObject(spec.selector)) errs.push(fieldErrors.required('spec.selector'));
      const labels = asObject(asObject(asObject(spec.template).metadata).labels);
      for (const [k, v] of Object.entries(asObject(asObject(spec.selector).matchLabels))) {
        if (labels[k] !== v) {
          errs.push(
            fieldErrors.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
          );
          break;
        }
      }
      return errs;
    },
  },
);

/** The single identity every token maps to (the embedded server has one cluster-admin token). */
export const ADMIN_USER = {
  username: 'capi-fn-admin',
  uid: 'capi-fn-admin',
  groups: ['system:masters', 'system:authenticated'],
};

const accessReview = builtin(
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    schema: root('SelfSubjectAccessReview', { spec: open(), status: open() }),
    verbs: ['create'],
  },
  {
    // No authorization is enforced, so every question is answered "allowed".
    review: (o) => ({ ...o, status: { allowed: true, reason: 'the embedded API server does not enforce RBAC' } }),
  },
);

// `kubectl auth can-i --list`: with no authorization enforced, every verb on everything.
const rulesReview = builtin(
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
    namespaced: false,
    schema: root('SelfSubjectRulesReview', { spec: open(), status: open() }),
    verbs: ['create'],
  },
  {
    review: (o) => ({
      ...o,
      status: {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      },
    }),
  },
);

const selfReview = builtin(
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
    namespaced: false,
    schema: root('SelfSubjectReview', { status: open() }),
    verbs: ['create'],
  },
  { review: (o) => ({ ...o, status: { userInfo: ADMIN_USER } }) },
);

export const otherDefs: ResourceDef[] = [
  accessReview,
  rulesReview,
  selfReview,
  eventsV1,
  lease,
  pdb,
  crd,
  webhookConfig('ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  webhookConfig('MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', true),
  role,
  clusterRole,
  roleBinding,
  clusterRoleBinding,
  deployment,
];
