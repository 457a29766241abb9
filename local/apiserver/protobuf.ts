// Decoder for the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown). kubectl 1.32 creates objects with
// typed clients that send protobuf: `create namespace|configmap|secret|serviceaccount|service|role|clusterrole|
// rolebinding|clusterrolebinding|pdb|deployment` (observed on the wire). Field numbers follow
// k8s.io/api/*/generated.proto. Messages are described by small tables; a field this server does not know is a
// 400 naming it rather than silently dropped data. Responses are always JSON, which kubectl accepts.
import { badRequest } from './status-errors.ts';
import type { JsonObject } from './util.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/**
 * Tags one request may make the decoder read. Real kubectl objects hold a few thousand (a 1,000-key ConfigMap is
 * about 3,000); a 3 MiB body (MAX_BODY_BYTES) could hold 1.5 million. At 250,000 the worst request costs about a
 * third of a second of the only event-loop thread (measured: 249,000 finalizers, 747 KB, 320 ms) instead of
 * whatever the body size allows; a larger object can still be sent as JSON.
 */
export const DEFAULT_DECODE_BUDGET = 250_000;

const MIN_RFC3339_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z
const MAX_RFC3339_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

interface Field {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw badRequest('protobuf: truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw badRequest('protobuf: varint overflow');
  }
}

/**
 * Work done by one decode, counted so tests can assert the decoder stays linear in its input and so a request
 * can be cut off once it has cost too much. `fields`: tags read (nested messages are read once more per level);
 * `elementWrites`: array slots written while appending repeated fields.
 */
export interface DecodeWork {
  fields: number;
  elementWrites: number;
}

export interface DecodeOptions {
  /** most tags one request may make the decoder read; default DEFAULT_DECODE_BUDGET */
  maxFields?: number;
  /** counters to fill in (a test seam); a fresh one otherwise */
  work?: DecodeWork;
}

interface Decoding {
  work: DecodeWork;
  maxFields: number;
}

/** A tag or a length: numbers, because BigInt arithmetic made tags the bulk of a decode's cost. */
function readSize(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw badRequest('protobuf: truncated varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [result, pos];
    scale *= 128;
  }
  // 49 bits: larger than any body this server accepts, so never a valid tag or length.
  throw badRequest('protobuf: varint overflow');
}

function fields(buf: Buffer, dc: Decoding): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (++dc.work.fields > dc.maxFields)
      throw badRequest(
        `protobuf: the object has more than ${dc.maxFields} fields, more than this server decodes in one request; send JSON or split it`,
      );
    const [key, p1] = readSize(buf, pos);
    pos = p1;
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ no, wire, varint: v });
    } else if (wire === 2) {
      const [len, p2] = readSize(buf, pos);
      const end = p2 + len;
      if (end > buf.length) throw badRequest('protobuf: truncated field');
      out.push({ no, wire, bytes: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ no, wire, bytes: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ no, wire, bytes: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw badRequest(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

/**
 * How one field decodes. `ptr`: a Go pointer field, so a zero value was set on purpose and is kept; other scalar
 * zero values are what gogo-protobuf emits for unset non-pointer fields and are dropped (JSON `omitempty`).
 */
type Kind =
  | 'string'
  | 'int'
  | 'bool'
  | 'bytes'
  | 'time'
  | 'intstr'
  | 'quantity'
  | 'ignore'
  | { msg: string }
  | { map: 'string' | 'bytes' | 'quantity' };

interface FieldDesc {
  name: string;
  kind: Kind;
  repeated?: boolean;
  ptr?: boolean;
}

type MessageDesc = Record<number, FieldDesc>;

const f = (name: string, kind: Kind, opts: { repeated?: boolean; ptr?: boolean } = {}): FieldDesc => ({
  name,
  kind,
  ...opts,
});
const msg = (m: string): Kind => ({ msg: m });
const rep = { repeated: true };
const ptr = { ptr: true };

const MESSAGES: Record<string, MessageDesc> = {
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    4: f('selfLink', 'ignore'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int'),
    8: f('creationTimestamp', 'time'),
    9: f('deletionTimestamp', 'time'),
    10: f('deletionGracePeriodSeconds', 'int', ptr),
    11: f('labels', { map: 'string' }),
    12: f('annotations', { map: 'string' }),
    13: f('ownerReferences', msg('OwnerReference'), rep),
    14: f('finalizers', 'string', rep),
    17: f('managedFields', 'ignore'),
  },
  OwnerReference: {
    1: f('kind', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('controller', 'bool', ptr),
    7: f('blockOwnerDeletion', 'bool', ptr),
  },
  LabelSelector: {
    1: f('matchLabels', { map: 'string' }),
    2: f('matchExpressions', msg('LabelSelectorRequirement'), rep),
  },
  LabelSelectorRequirement: { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', rep) },
  LocalObjectReference: { 1: f('name', 'string') },
  ObjectReference: {
    1: f('kind', 'string'),
    2: f('namespace', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('fieldPath', 'string'),
  },
  ConfigMap: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('data', { map: 'string' }),
    3: f('binaryData', { map: 'bytes' }),
    4: f('immutable', 'bool', ptr),
  },
  Secret: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('data', { map: 'bytes' }),
    3: f('type', 'string'),
    4: f('stringData', { map: 'string' }),
    5: f('immutable', 'bool', ptr),
  },
  Namespace: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('NamespaceSpec')), 3: f('status', 'ignore') },
  NamespaceSpec: { 1: f('finalizers', 'string', rep) },
  ServiceAccount: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('secrets', msg('ObjectReference'), rep),
    3: f('imagePullSecrets', msg('LocalObjectReference'), rep),
    4: f('automountServiceAccountToken', 'bool', ptr),
  },
  Service: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('ServiceSpec')), 3: f('status', 'ignore') },
  ServiceSpec: {
    1: f('ports', msg('ServicePort'), rep),
    2: f('selector', { map: 'string' }),
    3: f('clusterIP', 'string'),
    4: f('type', 'string'),
    5: f('externalIPs', 'string', rep),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    9: f('loadBalancerSourceRanges', 'string', rep),
    10: f('externalName', 'string'),
    11: f('externalTrafficPolicy', 'string'),
    12: f('healthCheckNodePort', 'int'),
    13: f('publishNotReadyAddresses', 'bool'),
    17: f('ipFamilyPolicy', 'string', ptr),
    18: f('clusterIPs', 'string', rep),
    19: f('ipFamilies', 'string', rep),
    20: f('allocateLoadBalancerNodePorts', 'bool', ptr),
    21: f('loadBalancerClass', 'string', ptr),
    22: f('internalTrafficPolicy', 'string', ptr),
    23: f('trafficDistribution', 'string', ptr),
  },
  ServicePort: {
    1: f('name', 'string'),
    2: f('protocol', 'string'),
    3: f('port', 'int'),
    4: f('targetPort', 'intstr'),
    5: f('nodePort', 'int'),
    6: f('appProtocol', 'string', ptr),
  },
  PolicyRule: {
    1: f('verbs', 'string', rep),
    2: f('apiGroups', 'string', rep),
    3: f('resources', 'string', rep),
    4: f('resourceNames', 'string', rep),
    5: f('nonResourceURLs', 'string', rep),
  },
  Role: { 1: f('metadata', msg('ObjectMeta')), 2: f('rules', msg('PolicyRule'), rep) },
  ClusterRole: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('rules', msg('PolicyRule'), rep),
    3: f('aggregationRule', msg('AggregationRule')),
  },
  AggregationRule: { 1: f('clusterRoleSelectors', msg('LabelSelector'), rep) },
  Subject: { 1: f('kind', 'string'), 2: f('apiGroup', 'string'), 3: f('name', 'string'), 4: f('namespace', 'string') },
  RoleRef: { 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') },
  RoleBinding: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('subjects', msg('Subject'), rep),
    3: f('roleRef', msg('RoleRef')),
  },
  PodDisruptionBudget: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('PodDisruptionBudgetSpec')),
    3: f('status', 'ignore'),
  },
  PodDisruptionBudgetSpec: {
    1: f('minAvailable', 'intstr'),
    2: f('selector', msg('LabelSelector')),
    3: f('maxUnavailable', 'intstr'),
    4: f('unhealthyPodEvictionPolicy', 'string', ptr),
  },
  Deployment: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('DeploymentSpec')), 3: f('status', 'ignore') },
  DeploymentSpec: {
    1: f('replicas', 'int', ptr),
    2: f('selector', msg('LabelSelector')),
    3: f('template', msg('PodTemplateSpec')),
    4: f('strategy', msg('DeploymentStrategy')),
    5: f('minReadySeconds', 'int'),
    6: f('revisionHistoryLimit', 'int', ptr),
    7: f('paused', 'bool'),
    9: f('progressDeadlineSeconds', 'int', ptr),
  },
  DeploymentStrategy: { 1: f('type', 'string'), 2: f('rollingUpdate', msg('RollingUpdateDeployment')) },
  RollingUpdateDeployment: { 1: f('maxUnavailable', 'intstr'), 2: f('maxSurge', 'intstr') },
  PodTemplateSpec: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('PodSpec')) },
  PodSpec: {
    2: f('containers', msg('Container'), rep),
    3: f('restartPolicy', 'string'),
    4: f('terminationGracePeriodSeconds', 'int', ptr),
    5: f('activeDeadlineSeconds', 'int', ptr),
    6: f('dnsPolicy', 'string'),
    7: f('nodeSelector', { map: 'string' }),
    8: f('serviceAccountName', 'string'),
    9: f('serviceAccount', 'string'),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    12: f('hostPID', 'bool'),
    13: f('hostIPC', 'bool'),
    14: f('securityContext', msg('Empty')),
    15: f('imagePullSecrets', msg('LocalObjectReference'), rep),
    16: f('hostname', 'string'),
    17: f('subdomain', 'string'),
    19: f('schedulerName', 'string'),
    20: f('initContainers', msg('Container'), rep),
    21: f('automountServiceAccountToken', 'bool', ptr),
    22: f('tolerations', msg('Toleration'), rep),
    24: f('priorityClassName', 'string'),
  },
  Toleration: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: f('value', 'string'),
    4: f('effect', 'string'),
    5: f('tolerationSeconds', 'int', ptr),
  },
  Container: {
    1: f('name', 'string'),
    2: f('image', 'string'),
    3: f('command', 'string', rep),
    4: f('args', 'string', rep),
    5: f('workingDir', 'string'),
    6: f('ports', msg('ContainerPort'), rep),
    7: f('env', msg('EnvVar'), rep),
    8: f('resources', msg('ResourceRequirements')),
    9: f('volumeMounts', msg('VolumeMount'), rep),
    13: f('terminationMessagePath', 'string'),
    14: f('imagePullPolicy', 'string'),
    16: f('stdin', 'bool'),
    17: f('stdinOnce', 'bool'),
    18: f('tty', 'bool'),
    20: f('terminationMessagePolicy', 'string'),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int'),
    3: f('containerPort', 'int'),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string') },
  VolumeMount: {
    1: f('name', 'string'),
    2: f('readOnly', 'bool'),
    3: f('mountPath', 'string'),
    4: f('subPath', 'string'),
    5: f('mountPropagation', 'string', ptr),
    6: f('subPathExpr', 'string'),
  },
  ResourceRequirements: { 1: f('limits', { map: 'quantity' }), 2: f('requests', { map: 'quantity' }) },
  SelfSubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SelfSubjectAccessReviewSpec')),
    3: f('status', 'ignore'),
  },
  SelfSubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
  },
  ResourceAttributes: {
    1: f('namespace', 'string'),
    2: f('verb', 'string'),
    3: f('group', 'string'),
    4: f('version', 'string'),
    5: f('resource', 'string'),
    6: f('subresource', 'string'),
    7: f('name', 'string'),
  },
  NonResourceAttributes: { 1: f('path', 'string'), 2: f('verb', 'string') },
  SelfSubjectReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('status', 'ignore') },
  SelfSubjectRulesReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SelfSubjectRulesReviewSpec')),
    3: f('status', 'ignore'),
  },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', 'string') },
  /** messages accepted only when empty (e.g. a default PodSecurityContext) */
  Empty: {},
};

const TOP_LEVEL: Record<string, string> = {
  'v1/ConfigMap': 'ConfigMap',
  'v1/Namespace': 'Namespace',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'RoleBinding',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'apps/v1/Deployment': 'Deployment',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
};

export const PROTOBUF_KINDS = Object.keys(TOP_LEVEL);

const utf8 = (b: Buffer | undefined) => (b ?? Buffer.alloc(0)).toString('utf8');

function signed(v: bigint): number {
  // int32/int64 negatives are encoded as 64-bit two's complement varints.
  return Number(BigInt.asIntN(64, v));
}

function decodeTime(b: Buffer, dc: Decoding): string | undefined {
  let seconds = 0n;
  for (const x of fields(b, dc)) if (x.no === 1 && x.varint !== undefined) seconds = x.varint;
  if (seconds === 0n) return undefined;
  const s = BigInt.asIntN(64, seconds);
  // Go's RFC 3339 encoding refuses years outside 0001-9999, and a Date beyond them throws a RangeError (a 500).
  if (s < MIN_RFC3339_SECONDS || s > MAX_RFC3339_SECONDS)
    throw badRequest(`protobuf: timestamp seconds ${s} is outside the years 0001-9999`);
  return new Date(Number(s) * 1000).toISOString().replace('.000Z', 'Z');
}

function decodeIntOrString(b: Buffer, dc: Decoding): number | string {
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  for (const x of fields(b, dc)) {
    if (x.no === 1 && x.varint !== undefined) type = x.varint;
    else if (x.no === 2 && x.varint !== undefined) intVal = signed(x.varint);
    else if (x.no === 3) strVal = utf8(x.bytes);
  }
  return type === 1n ? strVal : intVal;
}

function decodeQuantity(b: Buffer, dc: Decoding): string {
  for (const x of fields(b, dc)) if (x.no === 1) return utf8(x.bytes);
  return '0';
}

function scalar(kind: Kind, x: Field, dc: Decoding): unknown {
  switch (kind) {
    case 'string':
      return utf8(x.bytes);
    case 'bytes':
      return (x.bytes ?? Buffer.alloc(0)).toString('base64');
    case 'int':
      return signed(x.varint ?? 0n);
    case 'bool':
      return x.varint === 1n;
    case 'time':
      return decodeTime(x.bytes ?? Buffer.alloc(0), dc);
    case 'intstr':
      return decodeIntOrString(x.bytes ?? Buffer.alloc(0), dc);
    case 'quantity':
      return decodeQuantity(x.bytes ?? Buffer.alloc(0), dc);
    default:
      return undefined;
  }
}

const isZero = (v: unknown) => v === '' || v === 0 || v === false || v === undefined;

function decodeMessage(b: Buffer, name: string, dc: Decoding): JsonObject {
  const desc = MESSAGES[name];
  if (!desc) throw badRequest(`protobuf message ${name} is not supported by this server; send JSON`);
  const out: JsonObject = {};
  for (const x of fields(b, dc)) {
    const d = desc[x.no];
    if (!d) {
      throw badRequest(`protobuf field ${x.no} of ${name} is not supported by this server; send JSON`);
    }
    if (d.kind === 'ignore') continue;
    let value: unknown;
    if (typeof d.kind === 'object' && 'msg' in d.kind) {
      value = decodeMessage(x.bytes ?? Buffer.alloc(0), d.kind.msg, dc);
    } else if (typeof d.kind === 'object' && 'map' in d.kind) {
      let k = '';
      let v: Buffer = Buffer.alloc(0);
      for (const e of fields(x.bytes ?? Buffer.alloc(0), dc)) {
        if (e.no === 1) k = utf8(e.bytes);
        else if (e.no === 2 && e.bytes) v = e.bytes;
      }
      const m = (out[d.name] as JsonObject | undefined) ?? {};
      m[k] = d.kind.map === 'string' ? utf8(v) : d.kind.map === 'bytes' ? v.toString('base64') : decodeQuantity(v, dc);
      out[d.name] = m;
      continue;
    } else {
      value = scalar(d.kind, x, dc);
      if (!d.repeated && !d.ptr && isZero(value)) continue;
      if (value === undefined) continue;
    }
    if (d.repeated) {
      // Appending in place: copying the array per element made a 90 KB body cost 450 million copies.
      const list = out[d.name] as unknown[] | undefined;
      if (list) list.push(value);
      else out[d.name] = [value];
      dc.work.elementWrites++;
    } else out[d.name] = value;
  }
  return out;
}

export function decodeProtobufObject(body: Buffer, opts: DecodeOptions = {}): JsonObject {
  const dc: Decoding = {
    work: opts.work ?? { fields: 0, elementWrites: 0 },
    maxFields: opts.maxFields ?? DEFAULT_DECODE_BUDGET,
  };
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest('provided protobuf data is missing the "k8s\\x00" prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const x of fields(body.subarray(4), dc)) {
    if (x.no === 1 && x.bytes) {
      for (const g of fields(x.bytes, dc)) {
        if (g.no === 1) apiVersion = utf8(g.bytes);
        else if (g.no === 2) kind = utf8(g.bytes);
      }
    } else if (x.no === 2 && x.bytes) raw = x.bytes;
  }
  const top = TOP_LEVEL[`${apiVersion}/${kind}`];
  if (!top) throw badRequest(`protobuf decoding of ${apiVersion}/${kind} is not supported by this server; send JSON`);
  return { apiVersion, kind, ...decodeMessage(raw, top, dc) };
}

// --- encoder, used by tests to build what kubectl sends ---

function varint(n: bigint | number): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

export function pbBytes(no: number, b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return Buffer.concat([varint((no << 3) | 2), varint(data.length), data]);
}

export function pbVarint(no: number, v: number): Buffer {
  return Buffer.concat([varint(no << 3), varint(v)]);
}

export function pbEnvelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([pbBytes(1, apiVersion), pbBytes(2, kind)]);
  return Buffer.concat([MAGIC, pbBytes(1, typeMeta), pbBytes(2, raw), pbBytes(3, ''), pbBytes(4, '')]);
}
