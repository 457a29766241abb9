// Dynamic admission: mutating webhooks (in order, each seeing earlier patches), then validating webhooks
// (in parallel), called with AdmissionReview v1 over HTTPS. Webhook configuration objects themselves are never
// sent to webhooks. matchConditions (CEL) are not evaluated: no CEL interpreter is embedded.
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import { ADMIN_USER } from './builtins/others.ts';
import type { ApiContext } from './context.ts';
import { applyJsonPatch, decodeJsonPatch } from './patch/json-patch.ts';
import type { ResourceDef } from './registry.ts';
import { fromLabelSelectorObject, matchLabels } from './selectors.ts';
import { ApiError, badRequest } from './status-errors.ts';
import { asArray, asObject, asString, deepEqual, isObject, type JsonObject, labelsOf } from './util.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  def: ResourceDef;
  /** version the client used */
  version: string;
  subresource: string;
  namespace: string;
  name: string;
  /** request object in the client's version (CREATE/UPDATE) */
  object: JsonObject | undefined;
  oldObject: JsonObject | undefined;
  dryRun: boolean;
  options: JsonObject;
  /** storage → version conversion for equivalent-version matching */
  convert: (o: JsonObject, version: string) => JsonObject;
  warnings: string[];
}

interface Webhook {
  config: string;
  spec: JsonObject;
}

const CONFIG_RESOURCES = new Set(['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']);

export class Admission {
  private readonly ctx: () => ApiContext;
  constructor(ctx: () => ApiContext) {
    this.ctx = ctx;
  }

  private webhooks(resource: string): Webhook[] {
    const objs = this.ctx().store.list(`admissionregistration.k8s.io/${resource}`);
    const sorted = [...objs].sort((a, b) => {
      const an = String(asObject(a.metadata).name);
      const bn = String(asObject(b.metadata).name);
      return an < bn ? -1 : an > bn ? 1 : 0;
    });
    const out: Webhook[] = [];
    for (const c of sorted) {
      const name = String(asObject(c.metadata).name);
      for (const w of asArray(c.webhooks)) if (isObject(w)) out.push({ config: name, spec: w });
    }
    return out;
  }

  /** Runs mutating webhooks; returns the (possibly) patched object in the client's version. */
  async mutate(a: AdmissionAttributes): Promise<JsonObject | undefined> {
    if (a.def.group === 'admissionregistration.k8s.io' && CONFIG_RESOURCES.has(a.def.resource)) return a.object;
    const hooks = this.webhooks('mutatingwebhookconfigurations');
    let obj = a.object;
    // reinvocationPolicy IfNeeded: remember what each such webhook left behind; if a later one changed the
    // object, it runs once more at the end.
    const reinvoke: Array<{ hook: Webhook; after: JsonObject | undefined }> = [];
    for (const h of hooks) {
      const r = await this.mutateOnce(h, a, obj);
      if (!r.matched) continue;
      obj = r.object;
      if (h.spec.reinvocationPolicy === 'IfNeeded') reinvoke.push({ hook: h, after: obj });
    }
    for (const { hook, after } of reinvoke) {
      if (deepEqual(after, obj)) continue;
      obj = (await this.mutateOnce(hook, a, obj)).object;
    }
    return obj;
  }

  private async mutateOnce(
    h: Webhook,
    a: AdmissionAttributes,
    obj: JsonObject | undefined,
  ): Promise<{ matched: boolean; object: JsonObject | undefined }> {
    const version = this.matchVersion(h.spec, { ...a, object: obj });
    if (version === undefined) return { matched: false, object: obj };
    const sent = obj && version !== a.version ? a.convert(obj, version) : obj;
    const oldSent = a.oldObject && version !== a.version ? a.convert(a.oldObject, version) : a.oldObject;
    const resp = await this.call(h, { ...a, object: sent, oldObject: oldSent }, version, true);
    if (!resp || resp.patch === undefined || !sent) return { matched: true, object: obj };
    let patched: unknown;
    try {
      patched = applyJsonPatch(sent, decodeJsonPatch(JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8'))));
    } catch (e) {
      if (String(h.spec.failurePolicy ?? 'Fail') === 'Ignore') return { matched: true, object: obj };
      throw callFailure(h, `JSONPatch application failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!isObject(patched)) throw callFailure(h, 'JSONPatch result is not an object');
    return { matched: true, object: version !== a.version ? a.convert(patched, a.version) : patched };
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.def.group === 'admissionregistration.k8s.io' && CONFIG_RESOURCES.has(a.def.resource)) return;
    const hooks = this.webhooks('validatingwebhookconfigurations');
    const calls: Array<Promise<unknown>> = [];
    for (const h of hooks) {
      const version = this.matchVersion(h.spec, a);
      if (version === undefined) continue;
      const sent = a.object && version !== a.version ? a.convert(a.object, version) : a.object;
      const oldSent = a.oldObject && version !== a.version ? a.convert(a.oldObject, version) : a.oldObject;
      calls.push(this.call(h, { ...a, object: sent, oldObject: oldSent }, version, false));
    }
    const results = await Promise.allSettled(calls);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  /** The version this webhook wants the request in, or undefined when it does not match. */
  private matchVersion(w: JsonObject, a: AdmissionAttributes): string | undefined {
    const { def } = a;
    const versionsToTry = [a.version];
    if (String(w.matchPolicy ?? 'Equivalent') === 'Equivalent') {
      for (const v of def.versions) if (v.served && v.name !== a.version) versionsToTry.push(v.name);
    }
    let matched: string | undefined;
    for (const version of versionsToTry) {
      const ok = asArray(w.rules).some((r) => {
        const rule = asObject(r);
        const ops = asArray(rule.operations);
        if (!ops.includes('*') && !ops.includes(a.operation)) return false;
        const groups = asArray(rule.apiGroups);
        if (!groups.includes('*') && !groups.includes(def.group)) return false;
        const versions = asArray(rule.apiVersions);
        if (!versions.includes('*') && !versions.includes(version)) return false;
        if (!asArray(rule.resources).some((x) => resourceMatches(String(x), def.resource, a.subresource))) return false;
        const scope = String(rule.scope ?? '*');
        if (scope === 'Cluster' && def.namespaced) return false;
        if (scope === 'Namespaced' && !def.namespaced) return false;
        return true;
      });
      if (ok) {
        matched = version;
        break;
      }
    }
    if (matched === undefined) return undefined;
    if (!this.namespaceMatches(w, a)) return undefined;
    const objSel = fromLabelSelectorObject(w.objectSelector ?? {});
    if (objSel && objSel.length > 0) {
      const newMatch = a.object ? matchLabels(objSel, labelsOf(a.object)) : false;
      const oldMatch = a.oldObject ? matchLabels(objSel, labelsOf(a.oldObject)) : false;
      if (!newMatch && !oldMatch) return undefined;
    }
    if (a.dryRun && w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') {
      throw badRequest(`admission webhook "${String(w.name)}" does not support dry run`);
    }
    return matched;
  }

  private namespaceMatches(w: JsonObject, a: AdmissionAttributes): boolean {
    const sel = fromLabelSelectorObject(w.namespaceSelector ?? {});
    if (!sel || sel.length === 0) return true;
    let labels: Record<string, string>;
    if (a.def.group === '' && a.def.resource === 'namespaces') {
      labels = labelsOf(a.object ?? a.oldObject);
    } else if (!a.def.namespaced) {
      return true;
    } else {
      const ns = this.ctx().store.get('namespaces', '', a.namespace);
      labels = labelsOf(ns);
    }
    return matchLabels(sel, labels);
  }

  private async call(
    h: Webhook,
    a: AdmissionAttributes,
    version: string,
    mutating: boolean,
  ): Promise<{ patch?: string } | undefined> {
    const w = h.spec;
    const name = String(w.name);
    const failOpen = String(w.failurePolicy ?? 'Fail') === 'Ignore';
    const uid = randomUUID();
    const def = a.def;
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group: def.group, version, kind: def.kind },
        resource: { group: def.group, version, resource: def.resource },
        ...(a.subresource ? { subResource: a.subresource } : {}),
        requestKind: { group: def.group, version: a.version, kind: def.kind },
        requestResource: { group: def.group, version: a.version, resource: def.resource },
        ...(a.subresource ? { requestSubResource: a.subresource } : {}),
        name: a.name,
        ...(a.namespace ? { namespace: a.namespace } : {}),
        operation: a.operation,
        userInfo: ADMIN_USER,
        object: a.object ?? null,
        oldObject: a.oldObject ?? null,
        dryRun: a.dryRun,
        options: a.options,
      },
    };
    let resp: JsonObject;
    try {
      resp = await this.post(w, review);
    } catch (e) {
      if (failOpen) {
        this.ctx().log(`admission: webhook ${name} failed (ignored): ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      }
      throw callFailure(h, e instanceof Error ? e.message : String(e));
    }
    const r = asObject(resp.response);
    const problem =
      resp.kind !== 'AdmissionReview' || resp.apiVersion !== 'admission.k8s.io/v1'
        ? `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${String(resp.apiVersion)}, Kind=${String(resp.kind)}`
        : !isObject(resp.response)
          ? 'webhook response was absent'
          : r.uid !== uid
            ? `expected response.uid="${uid}", got "${String(r.uid)}"`
            : (r.patch !== undefined) !== (r.patchType !== undefined)
              ? 'webhook returned a patch without patchType (or patchType without patch)'
              : r.patchType !== undefined && r.patchType !== 'JSONPatch'
                ? `webhook returned invalid patchType: "${String(r.patchType)}"`
                : !mutating && r.patch !== undefined
                  ? 'validating webhook may not return a patch'
                  : undefined;
    if (problem) {
      if (failOpen) return undefined;
      throw callFailure(h, problem);
    }
    for (const warn of asArray(r.warnings)) if (typeof warn === 'string') a.warnings.push(warn);
    if (r.allowed !== true) {
      const st = asObject(r.status);
      const code = typeof st.code === 'number' && st.code >= 400 ? st.code : 400;
      const detail = asString(st.message) || asString(st.reason);
      const message = detail
        ? `admission webhook "${name}" denied the request: ${detail}`
        : `admission webhook "${name}" denied the request without explanation`;
      const reason = asString(st.reason) ?? '';
      throw new ApiError(code, reason, message, isObject(st.details) ? (st.details as JsonObject) : undefined);
    }
    return typeof r.patch === 'string' ? { patch: r.patch } : {};
  }

  private post(w: JsonObject, review: JsonObject): Promise<JsonObject> {
    const cc = asObject(w.clientConfig);
    let url: URL;
    let servername: string | undefined;
    if (typeof cc.url === 'string') {
      url = new URL(cc.url);
    } else {
      const svc = asObject(cc.service);
      const ns = String(svc.namespace ?? '');
      const name = String(svc.name ?? '');
      const port = typeof svc.port === 'number' ? svc.port : 443;
      const base = this.ctx().resolveService?.(ns, name, port);
      if (!base) return Promise.reject(new Error(`service "${name}" in namespace "${ns}" cannot be resolved`));
      url = new URL(base.replace(/\/$/, '') + (asString(svc.path) ?? ''));
      servername = `${name}.${ns}.svc`;
    }
    const timeoutSeconds = typeof w.timeoutSeconds === 'number' ? w.timeoutSeconds : 10;
    url.searchParams.set('timeout', `${Math.ceil(timeoutSeconds)}s`);
    const ca = typeof cc.caBundle === 'string' ? Buffer.from(cc.caBundle, 'base64').toString('utf8') : undefined;
    const body = Buffer.from(JSON.stringify(review));
    return new Promise((resolve, reject) => {
      // timeoutSeconds bounds the whole call, as kube-apiserver's context does: the socket's idle timeout alone
      // let a webhook that trickles a byte now and then hold the write for ever.
      const deadline = setTimeout(
        () => req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded while reading the body)')),
        timeoutSeconds * 1000,
      );
      const fail = (e: Error) => {
        clearTimeout(deadline);
        reject(e);
      };
      const req = httpsRequest(
        url,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': body.length },
          ...(ca ? { ca } : {}),
          ...(servername
            ? {
                servername,
                checkServerIdentity: (_host: string, cert: Parameters<typeof checkServerIdentity>[1]) =>
                  checkServerIdentity(servername, cert),
              }
            : {}),
          timeout: timeoutSeconds * 1000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_WEBHOOK_RESPONSE_BYTES) {
              req.destroy(new Error(`the webhook response is larger than ${MAX_WEBHOOK_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(deadline);
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(
                new Error(
                  `the server responded with the status code ${res.statusCode} but did not return more information`,
                ),
              );
              return;
            }
            try {
              resolve(asObject(JSON.parse(text)));
            } catch (e) {
              reject(new Error(`failed to decode webhook response: ${e instanceof Error ? e.message : String(e)}`));
            }
          });
          res.on('error', fail);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)),
      );
      req.on('error', (e) => fail(new Error(`Post "${url.toString()}": ${e.message}`)));
      req.end(body);
    });
  }
}

/**
 * The most a webhook may answer. An AdmissionReview response is a verdict and a patch of one object, and an
 * object is at most ~1.5 MiB in etcd; more is a broken or hostile webhook whose body would sit in memory.
 */
export const MAX_WEBHOOK_RESPONSE_BYTES = 3 * 1024 * 1024;

function resourceMatches(rule: string, resource: string, sub: string): boolean {
  const [rr, rs] = rule.split('/') as [string, string | undefined];
  if (rr !== '*' && rr !== resource) return false;
  if (rs === undefined) return sub === '';
  if (rs === '*') return true;
  return rs === sub;
}

function callFailure(h: Webhook, why: string): ApiError {
  const name = String(h.spec.name);
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: failed calling webhook "${name}": failed to call webhook: ${why}`,
    { causes: [{ message: `failed calling webhook "${name}": failed to call webhook: ${why}` }] },
  );
}
