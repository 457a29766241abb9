// Core (v1) built-in kinds: Namespace, Node, Pod, Secret, ConfigMap, Service, ServiceAccount, Event.
import type { ResourceDef } from '../registry.ts';
import { type FieldError, fieldErrors } from '../status-errors.ts';
import { ageColumn, column, nameColumn, since } from '../table.ts';
import { asArray, asObject, asString, isObject, type JsonObject } from '../util.ts';
import {
  arr,
  bool,
  builtin,
  conditions,
  int,
  obj,
  open,
  podSpecStrategies,
  root,
  str,
  strMap,
  time,
} from './helpers.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function phase(o: JsonObject): string {
  return asString(asObject(o.status).phase) ?? '';
}

const namespace = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    // Upstream namespaces have no deletecollection: one request must not wipe the cluster.
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    extraSubresources: ['finalize'],
    schema: root('Namespace', {
      spec: obj({ finalizers: arr(str()) }),
      status: obj({ phase: str(), conditions: conditions() }),
    }),
    columns: [nameColumn, column('Status', (o) => phase(o), { description: 'The status of the namespace' }), ageColumn],
    smp: { 'status.conditions': { merge: true, mergeKey: 'type' } },
  },
  {
    fieldLabels: (o) => ({ 'status.phase': phase(o) }),
    prepare: (o, w) => {
      const m = asObject(o.metadata);
      const name = asString(m.name) ?? '';
      // The namespace controller owns this label; users cannot change it.
      m.labels = { ...asObject(m.labels), 'kubernetes.io/metadata.name': name };
      if (!w.old) {
        o.spec = { ...asObject(o.spec), finalizers: ['kubernetes'] };
        o.status = { phase: 'Active' };
      } else if (w.subresource !== 'finalize') {
        o.spec = { ...asObject(o.spec), finalizers: asArray(asObject(w.old.spec).finalizers) };
      }
    },
    validate: (o) => {
      const name = asString(asObject(o.metadata).name) ?? '';
      const errs: FieldError[] = [];
      if (name && (!DNS1123_LABEL.test(name) || name.length > 63))
        errs.push(
          fieldErrors.invalid(
            'metadata.name',
            name,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
          ),
        );
      return errs;
    },
  },
);

function nodeStatus(o: JsonObject): string {
  const conds = asArray(asObject(o.status).conditions).map(asObject);
  const ready = conds.find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  if (asObject(o.spec).unschedulable === true) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(o: JsonObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(asObject(asObject(o.metadata).labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && typeof v === 'string' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(o: JsonObject, type: string): string {
  const a = asArray(asObject(o.status).addresses)
    .map(asObject)
    .find((x) => x.type === type);
  return asString(a?.address) ?? '<none>';
}

const nodeInfo = (o: JsonObject, k: string) => asString(asObject(asObject(o.status).nodeInfo)[k]) ?? '<unknown>';

const node = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    schema: root('Node', {
      spec: obj({
        podCIDR: str(),
        podCIDRs: arr(str()),
        providerID: str('ID of the node assigned by the cloud provider'),
        unschedulable: bool(),
        taints: arr(obj({ key: str(), value: str(), effect: str(), timeAdded: time() })),
        configSource: open(),
        externalID: str(),
      }),
      status: open('Most recently observed status of the node.'),
    }),
    columns: [
      nameColumn,
      column('Status', nodeStatus),
      column('Roles', nodeRoles),
      ageColumn,
      column('Version', (o) => nodeInfo(o, 'kubeletVersion')),
      column('Internal-IP', (o) => nodeAddress(o, 'InternalIP'), { priority: 1 }),
      column('External-IP', (o) => nodeAddress(o, 'ExternalIP'), { priority: 1 }),
      column('OS-Image', (o) => nodeInfo(o, 'osImage'), { priority: 1 }),
      column('Kernel-Version', (o) => nodeInfo(o, 'kernelVersion'), { priority: 1 }),
      column('Container-Runtime', (o) => nodeInfo(o, 'containerRuntimeVersion'), { priority: 1 }),
    ],
    smp: {
      'spec.taints': { merge: true, mergeKey: 'key' },
      'spec.podCIDRs': { merge: true },
      'status.conditions': { merge: true, mergeKey: 'type' },
      'status.addresses': { merge: true, mergeKey: 'type' },
    },
  },
  {
    fieldLabels: (o) => ({ 'spec.unschedulable': String(asObject(o.spec).unschedulable === true) }),
  },
);

function podReady(o: JsonObject): string {
  const total = asArray(asObject(o.spec).containers).length;
  const ready = asArray(asObject(o.status).containerStatuses).filter((c) => asObject(c).ready === true).length;
  return `${ready}/${total}`;
}

function podStatusText(o: JsonObject): string {
  const st = asObject(o.status);
  let reason = asString(st.reason) ?? (asString(st.phase) || 'Unknown');
  for (const cs of asArray(st.containerStatuses).map(asObject)) {
    const state = asObject(cs.state);
    const waiting = asString(asObject(state.waiting).reason);
    const terminated = asString(asObject(state.terminated).reason);
    if (waiting) reason = waiting;
    else if (terminated) reason = terminated;
  }
  if (asObject(o.metadata).deletionTimestamp) reason = 'Terminating';
  return reason;
}

function podRestarts(o: JsonObject): number {
  let n = 0;
  for (const cs of asArray(asObject(o.status).containerStatuses)) {
    const r = asObject(cs).restartCount;
    if (typeof r === 'number') n += r;
  }
  return n;
}

export function podReadyCondition(o: JsonObject): boolean {
  return asArray(asObject(o.status).conditions).some(
    (c) => asObject(c).type === 'Ready' && asObject(c).status === 'True',
  );
}

const CONTAINER_KEYS = ['containers', 'initContainers'];

function defaultPod(o: JsonObject, w: { old: JsonObject | undefined }): void {
  if (w.old) return;
  const spec = asObject(o.spec);
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  for (const k of CONTAINER_KEYS) {
    for (const c of asArray(spec[k])) {
      if (!isObject(c)) continue;
      const image = asString(c.image) ?? '';
      const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
      c.imagePullPolicy ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.resources ??= {};
    }
  }
  o.spec = spec;
  o.status = { phase: 'Pending' };
}

function validatePod(o: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObject(o.spec);
  const containers = asArray(spec.containers);
  if (containers.length === 0) errs.push(fieldErrors.required('spec.containers'));
  containers.forEach((c, i) => {
    const co = asObject(c);
    const name = asString(co.name) ?? '';
    if (!name) errs.push(fieldErrors.required(`spec.containers[${i}].name`));
    else if (!DNS1123_LABEL.test(name))
      errs.push(
        fieldErrors.invalid(
          `spec.containers[${i}].name`,
          name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ),
      );
    if (!asString(co.image)) errs.push(fieldErrors.required(`spec.containers[${i}].image`));
  });
  return errs;
}

const pod = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    extraSubresources: ['eviction'],
    schema: root('Pod', { spec: open('Specification of the desired behavior of the pod.'), status: open() }),
    columns: [
      nameColumn,
      column('Ready', podReady, { description: 'The aggregate readiness state of this pod for accepting traffic.' }),
      column('Status', podStatusText, { description: 'The aggregate status of the containers in this pod.' }),
      column('Restarts', podRestarts, {
        type: 'string',
        description: 'The number of times the containers in this pod have been restarted.',
      }),
      ageColumn,
      column('IP', (o) => asString(asObject(o.status).podIP) ?? '<none>', { priority: 1 }),
      column('Node', (o) => asString(asObject(o.spec).nodeName) ?? '<none>', { priority: 1 }),
      column('Nominated Node', (o) => asString(asObject(o.status).nominatedNodeName) ?? '<none>', { priority: 1 }),
      column('Readiness Gates', () => '<none>', { priority: 1 }),
    ],
    smp: {
      ...podSpecStrategies('spec.'),
      'status.conditions': { merge: true, mergeKey: 'type' },
      'status.podIPs': { merge: true, mergeKey: 'ip' },
      'status.hostIPs': { merge: true, mergeKey: 'ip' },
    },
  },
  {
    deleteReturnsObject: true,
    fieldLabels: (o) => {
      const spec = asObject(o.spec);
      const st = asObject(o.status);
      return {
        'spec.nodeName': asString(spec.nodeName) ?? '',
        'spec.restartPolicy': asString(spec.restartPolicy) ?? '',
        'spec.schedulerName': asString(spec.schedulerName) ?? '',
        'spec.serviceAccountName': asString(spec.serviceAccountName) ?? '',
        'spec.hostNetwork': String(spec.hostNetwork === true),
        'status.phase': asString(st.phase) ?? '',
        'status.podIP': asString(st.podIP) ?? '',
        'status.nominatedNodeName': asString(st.nominatedNodeName) ?? '',
      };
    },
    prepare: defaultPod,
    validate: validatePod,
  },
);

const secret = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    namespaced: true,
    schema: root('Secret', {
      data: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
      stringData: strMap(),
      type: str(),
      immutable: bool(),
    }),
    columns: [
      nameColumn,
      column('Type', (o) => asString(o.type) ?? ''),
      column('Data', (o) => Object.keys(asObject(o.data)).length, { type: 'string' }),
      ageColumn,
    ],
  },
  {
    fieldLabels: (o) => ({ type: asString(o.type) ?? '' }),
    prepare: (o) => {
      o.type ??= 'Opaque';
      // stringData is write-only: it is folded into data, as the upstream strategy does.
      if (isObject(o.stringData)) {
        const data = { ...asObject(o.data) };
        for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        o.data = data;
        delete o.stringData;
      }
    },
    validate: (o, w) => [...immutableData(o, w.old, ['data', 'type']), ...configKeyErrors('data', o.data)],
  },
);

function immutableData(o: JsonObject, old: JsonObject | undefined, fields: string[]): FieldError[] {
  if (old?.immutable !== true) return [];
  const errs: FieldError[] = [];
  for (const f of fields) {
    if (JSON.stringify(o[f] ?? null) !== JSON.stringify(old[f] ?? null))
      errs.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  if (o.immutable !== true) errs.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  return errs;
}

const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** Upstream's IsConfigMapKey, which Secret keys share: each becomes a file name when mounted. */
function configKeyErrors(field: string, map: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(asObject(map))) {
    if (!CONFIGMAP_KEY.test(k) || k.length > 253)
      errs.push(
        fieldErrors.invalid(
          `${field}[${k}]`,
          k,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
      );
  }
  return errs;
}

const configMap = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    schema: root('ConfigMap', { data: strMap(), binaryData: strMap(), immutable: bool() }),
    columns: [
      nameColumn,
      column('Data', (o) => Object.keys(asObject(o.data)).length + Object.keys(asObject(o.binaryData)).length, {
        type: 'string',
      }),
      ageColumn,
    ],
  },
  {
    validate: (o, w) => {
      return [
        ...immutableData(o, w.old, ['data', 'binaryData']),
        ...configKeyErrors('data', o.data),
        ...configKeyErrors('binaryData', o.binaryData),
      ];
    },
  },
);

let nextClusterIp = 1;

function servicePorts(o: JsonObject): string {
  const ports = asArray(asObject(o.spec).ports).map(asObject);
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => {
      const np = typeof p.nodePort === 'number' ? `:${p.nodePort}` : '';
      return `${p.port}${np}/${asString(p.protocol) ?? 'TCP'}`;
    })
    .join(',');
}

const service = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    schema: root('Service', { spec: open(), status: open() }),
    columns: [
      nameColumn,
      column('Type', (o) => asString(asObject(o.spec).type) ?? ''),
      column('Cluster-IP', (o) => asString(asObject(o.spec).clusterIP) ?? '<none>'),
      column('External-IP', (o) => {
        const ips = asArray(asObject(o.spec).externalIPs);
        return ips.length ? ips.join(',') : '<none>';
      }),
      column('Port(s)', servicePorts),
      ageColumn,
      column(
        'Selector',
        (o) => {
          const sel = Object.entries(asObject(asObject(o.spec).selector));
          return sel.length ? sel.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
        },
        { priority: 1 },
      ),
    ],
    smp: { 'spec.ports': { merge: true, mergeKey: 'port' } },
  },
  {
    prepare: (o, w) => {
      const spec = asObject(o.spec);
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      for (const p of asArray(spec.ports)) {
        if (!isObject(p)) continue;
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      if (w.old) {
        const oldSpec = asObject(w.old.spec);
        if (spec.clusterIP === undefined) spec.clusterIP = oldSpec.clusterIP;
        if (spec.clusterIPs === undefined) spec.clusterIPs = oldSpec.clusterIPs;
      } else if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) {
        // A ClusterIP from 10.96.0.0/12 so `get svc` looks like a cluster's; no traffic is routed.
        const n = nextClusterIp++;
        spec.clusterIP = `10.96.${(n >> 8) & 255}.${n & 255}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      o.spec = spec;
      if (!w.old) o.status = { loadBalancer: {} };
    },
  },
);

const serviceAccount = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    schema: root('ServiceAccount', {
      secrets: arr(open()),
      imagePullSecrets: arr(obj({ name: str() })),
      automountServiceAccountToken: bool(),
    }),
    columns: [nameColumn, column('Secrets', (o) => asArray(o.secrets).length, { type: 'string' }), ageColumn],
  },
  { deleteReturnsObject: true },
);

const objectReference = () =>
  obj({
    kind: str(),
    namespace: str(),
    name: str(),
    uid: str(),
    apiVersion: str(),
    resourceVersion: str(),
    fieldPath: str(),
  });

export function eventFieldLabels(o: JsonObject): Record<string, string> {
  const io = asObject(o.involvedObject);
  const s = (v: unknown) => asString(v) ?? '';
  return {
    'involvedObject.kind': s(io.kind),
    'involvedObject.namespace': s(io.namespace),
    'involvedObject.name': s(io.name),
    'involvedObject.uid': s(io.uid),
    'involvedObject.apiVersion': s(io.apiVersion),
    'involvedObject.resourceVersion': s(io.resourceVersion),
    'involvedObject.fieldPath': s(io.fieldPath),
    reason: s(o.reason),
    reportingComponent: s(o.reportingComponent),
    source: s(asObject(o.source).component),
    type: s(o.type),
  };
}

const coreEvent = builtin(
  {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    schema: root('Event', {
      involvedObject: objectReference(),
      reason: str(),
      message: str(),
      source: obj({ component: str(), host: str() }),
      firstTimestamp: time(),
      lastTimestamp: time(),
      count: int(),
      type: str(),
      eventTime: { type: 'string', format: 'date-time' },
      series: obj({ count: int(), lastObservedTime: { type: 'string', format: 'date-time' } }),
      action: str(),
      related: objectReference(),
      reportingComponent: str(),
      reportingInstance: str(),
    }),
    columns: [
      column('Last Seen', (o, now) =>
        since(o.lastTimestamp ?? o.eventTime ?? asObject(o.metadata).creationTimestamp, now),
      ),
      column('Type', (o) => asString(o.type) ?? ''),
      column('Reason', (o) => asString(o.reason) ?? ''),
      column('Object', (o) => {
        const io = asObject(o.involvedObject);
        return `${(asString(io.kind) ?? '').toLowerCase()}/${asString(io.name) ?? ''}`;
      }),
      column('Message', (o) => (asString(o.message) ?? '').trim()),
      column('Subobject', (o) => asString(asObject(o.involvedObject).fieldPath) ?? '', { priority: 1 }),
      column('Source', (o) => asString(asObject(o.source).component) ?? asString(o.reportingComponent) ?? '', {
        priority: 1,
      }),
      column('First Seen', (o, now) => since(o.firstTimestamp ?? o.eventTime, now), { priority: 1 }),
      column('Count', (o) => (typeof o.count === 'number' ? o.count : 1), { priority: 1, type: 'integer' }),
      { ...nameColumn, priority: 1 },
    ],
  },
  { fieldLabels: eventFieldLabels },
);

export const coreDefs: ResourceDef[] = [namespace, node, pod, secret, configMap, service, serviceAccount, coreEvent];
