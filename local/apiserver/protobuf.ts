// Decoder for the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the kinds kubectl 1.32 sends as
// protobuf: `create namespace|configmap|rolebinding|clusterrolebinding`. Field numbers follow
// k8s.io/api/*/generated.proto. Responses are always JSON, which kubectl accepts.
import { badRequest } from './status-errors.ts';
import type { JsonObject } from './util.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

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

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ no, wire, varint: v });
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
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

const str = (f: Field) => (f.bytes ?? Buffer.alloc(0)).toString('utf8');

function decodeMapEntry(b: Buffer): [string, Buffer] {
  let k = '';
  let v: Buffer = Buffer.alloc(0);
  for (const f of fields(b)) {
    if (f.no === 1) k = str(f);
    else if (f.no === 2 && f.bytes) v = f.bytes;
  }
  return [k, v];
}

function decodeTime(b: Buffer): string {
  let seconds = 0n;
  for (const f of fields(b)) if (f.no === 1 && f.varint !== undefined) seconds = f.varint;
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

function decodeOwnerRef(b: Buffer): JsonObject {
  const o: JsonObject = {};
  for (const f of fields(b)) {
    if (f.no === 5) o.apiVersion = str(f);
    else if (f.no === 1) o.kind = str(f);
    else if (f.no === 3) o.name = str(f);
    else if (f.no === 4) o.uid = str(f);
    else if (f.no === 6) o.controller = f.varint === 1n;
    else if (f.no === 7) o.blockOwnerDeletion = f.varint === 1n;
  }
  return o;
}

export function decodeObjectMeta(b: Buffer): JsonObject {
  const m: JsonObject = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const finalizers: string[] = [];
  const owners: JsonObject[] = [];
  for (const f of fields(b)) {
    switch (f.no) {
      case 1:
        if (str(f)) m.name = str(f);
        break;
      case 2:
        if (str(f)) m.generateName = str(f);
        break;
      case 3:
        if (str(f)) m.namespace = str(f);
        break;
      case 5:
        if (str(f)) m.uid = str(f);
        break;
      case 6:
        if (str(f)) m.resourceVersion = str(f);
        break;
      case 7:
        m.generation = Number(f.varint ?? 0n);
        break;
      case 8:
        m.creationTimestamp = decodeTime(f.bytes!);
        break;
      case 11: {
        const [k, v] = decodeMapEntry(f.bytes!);
        labels[k] = v.toString('utf8');
        break;
      }
      case 12: {
        const [k, v] = decodeMapEntry(f.bytes!);
        annotations[k] = v.toString('utf8');
        break;
      }
      case 13:
        owners.push(decodeOwnerRef(f.bytes!));
        break;
      case 14:
        finalizers.push(str(f));
        break;
    }
  }
  if (Object.keys(labels).length) m.labels = labels;
  if (Object.keys(annotations).length) m.annotations = annotations;
  if (finalizers.length) m.finalizers = finalizers;
  if (owners.length) m.ownerReferences = owners;
  return m;
}

function decodeConfigMap(raw: Buffer): JsonObject {
  const o: JsonObject = {};
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const f of fields(raw)) {
    if (f.no === 1) o.metadata = decodeObjectMeta(f.bytes!);
    else if (f.no === 2) {
      const [k, v] = decodeMapEntry(f.bytes!);
      data[k] = v.toString('utf8');
    } else if (f.no === 3) {
      const [k, v] = decodeMapEntry(f.bytes!);
      binaryData[k] = v.toString('base64');
    } else if (f.no === 4) o.immutable = f.varint === 1n;
  }
  if (Object.keys(data).length) o.data = data;
  if (Object.keys(binaryData).length) o.binaryData = binaryData;
  return o;
}

function decodeNamespace(raw: Buffer): JsonObject {
  const o: JsonObject = {};
  for (const f of fields(raw)) {
    if (f.no === 1) o.metadata = decodeObjectMeta(f.bytes!);
    else if (f.no === 2) {
      const fin: string[] = [];
      for (const g of fields(f.bytes!)) if (g.no === 1) fin.push(str(g));
      o.spec = fin.length ? { finalizers: fin } : {};
    }
  }
  return o;
}

function decodeSubject(b: Buffer): JsonObject {
  const s: JsonObject = {};
  for (const f of fields(b)) {
    if (f.no === 1) s.kind = str(f);
    else if (f.no === 2) s.apiGroup = str(f);
    else if (f.no === 3) s.name = str(f);
    else if (f.no === 4) s.namespace = str(f);
  }
  return s;
}

function decodeRoleRef(b: Buffer): JsonObject {
  const r: JsonObject = {};
  for (const f of fields(b)) {
    if (f.no === 1) r.apiGroup = str(f);
    else if (f.no === 2) r.kind = str(f);
    else if (f.no === 3) r.name = str(f);
  }
  return r;
}

function decodeBinding(raw: Buffer): JsonObject {
  const o: JsonObject = {};
  const subjects: JsonObject[] = [];
  for (const f of fields(raw)) {
    if (f.no === 1) o.metadata = decodeObjectMeta(f.bytes!);
    else if (f.no === 2) subjects.push(decodeSubject(f.bytes!));
    else if (f.no === 3) o.roleRef = decodeRoleRef(f.bytes!);
  }
  if (subjects.length) o.subjects = subjects;
  return o;
}

const decoders: Record<string, (raw: Buffer) => JsonObject> = {
  'v1/ConfigMap': decodeConfigMap,
  'v1/Namespace': decodeNamespace,
  'rbac.authorization.k8s.io/v1/RoleBinding': decodeBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': decodeBinding,
};

export const PROTOBUF_KINDS = Object.keys(decoders);

export function decodeProtobufObject(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest('provided protobuf data is missing the "k8s\\x00" prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1 && f.bytes) {
      for (const g of fields(f.bytes)) {
        if (g.no === 1) apiVersion = str(g);
        else if (g.no === 2) kind = str(g);
      }
    } else if (f.no === 2 && f.bytes) raw = f.bytes;
  }
  const dec = decoders[`${apiVersion}/${kind}`];
  if (!dec) throw badRequest(`protobuf decoding of ${apiVersion}/${kind} is not supported by this server; send JSON`);
  return { apiVersion, kind, ...dec(raw) };
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
