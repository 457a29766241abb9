// A tiny HTTPS client for the embedded API server (trusts its CA, sends its token) plus fixtures.
import { request } from 'node:https';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../local/apiserver/index.ts';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  body: any;
}

export interface CallOptions {
  body?: unknown;
  /** raw body bytes (sent as-is) */
  raw?: Buffer | string;
  contentType?: string | null;
  accept?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export class Client {
  readonly api: ApiServer;
  constructor(api: ApiServer) {
    this.api = api;
  }

  call(method: string, path: string, o: CallOptions = {}): Promise<Reply> {
    const url = new URL(path, this.api.url);
    let data: Buffer | undefined;
    if (o.raw !== undefined) data = Buffer.isBuffer(o.raw) ? o.raw : Buffer.from(o.raw);
    else if (o.body !== undefined) data = Buffer.from(JSON.stringify(o.body));
    const headers: Record<string, string> = { Accept: o.accept ?? 'application/json', ...(o.headers ?? {}) };
    if (o.token !== null) headers.Authorization = `Bearer ${o.token ?? this.api.token}`;
    if (data) {
      headers['Content-Length'] = String(data.length);
      if (o.contentType !== null) headers['Content-Type'] = o.contentType ?? 'application/json';
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, ca: this.api.caPem }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  get(path: string, o?: CallOptions) {
    return this.call('GET', path, o);
  }
  post(path: string, body: unknown, o?: CallOptions) {
    return this.call('POST', path, { ...o, body });
  }
  put(path: string, body: unknown, o?: CallOptions) {
    return this.call('PUT', path, { ...o, body });
  }
  patch(path: string, body: unknown, type: 'merge' | 'json' | 'strategic' | 'apply', o?: CallOptions) {
    const ct = {
      merge: 'application/merge-patch+json',
      json: 'application/json-patch+json',
      strategic: 'application/strategic-merge-patch+json',
      apply: 'application/apply-patch+yaml',
    }[type];
    return this.call('PATCH', path, { ...o, body, contentType: ct });
  }
  delete(path: string, body?: unknown, o?: CallOptions) {
    return this.call('DELETE', path, { ...o, ...(body !== undefined ? { body } : {}) });
  }

  /** Open a watch and collect its events until `stop()`. */
  watch(path: string, o: CallOptions = {}) {
    const url = new URL(path, this.api.url);
    // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON
    const events: any[] = [];
    let buf = '';
    let ended = false;
    let status = 0;
    const waiters: Array<() => void> = [];
    const notify = () => {
      for (const w of waiters.splice(0)) w();
    };
    const req = request(
      url,
      {
        method: 'GET',
        headers: { Accept: o.accept ?? 'application/json', Authorization: `Bearer ${this.api.token}` },
        ca: this.api.caPem,
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i = buf.indexOf('\n');
          while (i >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) events.push(JSON.parse(line));
            i = buf.indexOf('\n');
          }
          notify();
        });
        res.on('end', () => {
          ended = true;
          notify();
        });
      },
    );
    req.on('error', () => {
      ended = true;
      notify();
    });
    req.end();
    return {
      events,
      get ended() {
        return ended;
      },
      get status() {
        return status;
      },
      /** resolves once `pred(events)` holds (or rejects after the timeout, a safety net only) */
      // biome-ignore lint/suspicious/noExplicitAny: see above
      async until(pred: (evs: any[]) => boolean, timeoutMs = 10_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!pred(events)) {
          if (ended)
            throw new Error(`watch ended before condition; events: ${JSON.stringify(events.map((e) => e.type))}`);
          if (Date.now() > deadline) throw new Error(`watch condition not met; events: ${JSON.stringify(events)}`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 100).unref();
          });
        }
      },
      async untilEnded(timeoutMs = 10_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!ended) {
          if (Date.now() > deadline) throw new Error('watch did not end');
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 100).unref();
          });
        }
      },
      stop() {
        req.destroy();
      },
    };
  }
}

export async function startTestServer(o: ApiServerOptions = {}): Promise<{ api: ApiServer; c: Client }> {
  const api = await startApiServer(o);
  return { api, c: new Client(api) };
}

/** Poll until `check` returns a truthy value (controllers run asynchronously). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false | null>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await check();
    if (last) return last as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const widgetCrd = (group = 'example.com', opts: { categories?: string[] } = {}) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: {
      plural: 'widgets',
      singular: 'widget',
      kind: 'Widget',
      shortNames: ['wd'],
      categories: opts.categories ?? ['cluster-api'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
        },
        additionalPrinterColumns: [
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Color', type: 'string', jsonPath: '.spec.color', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A Widget is a test kind.',
            properties: {
              spec: {
                type: 'object',
                description: 'Desired state of the widget.',
                properties: {
                  replicas: { type: 'integer', minimum: 0, maximum: 100, description: 'How many.' },
                  color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                  name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
                  when: { type: 'string', format: 'date-time' },
                  size: { 'x-kubernetes-int-or-string': true },
                  note: { type: 'string', nullable: true },
                  tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: {
                      type: 'object',
                      required: ['name'],
                      properties: { name: { type: 'string' }, port: { type: 'integer' } },
                    },
                  },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  template: {
                    type: 'object',
                    'x-kubernetes-embedded-resource': true,
                    'x-kubernetes-preserve-unknown-fields': true,
                  },
                  nested: { type: 'object', default: {}, properties: { level: { type: 'integer', default: 3 } } },
                },
                required: ['replicas'],
              },
              status: {
                type: 'object',
                properties: { replicas: { type: 'integer' }, phase: { type: 'string' }, selector: { type: 'string' } },
              },
            },
          },
        },
      },
    ],
  },
});

export const W = (ns = 'default') => `/apis/example.com/v1/namespaces/${ns}/widgets`;

export function widget(
  name: string,
  spec: Record<string, unknown> = { replicas: 1 },
  meta: Record<string, unknown> = {},
) {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, ...meta }, spec };
}
