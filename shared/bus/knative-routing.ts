// Pure derivations for the Knative bus (CloudEvents over HTTP to a Broker): the routing extension
// attributes the publisher stamps, the Triggers one subscription needs, the match rule a Broker applies
// to them, and the CloudEvents HTTP binding (structured out, binary or structured in).
//
// Triggers use the GA `filter.attributes` (exact match, AND): OpenShift Serverless ships the newer
// `filters` field as a Technology Preview only. Exact matching cannot test for an absent attribute or
// an OR, so the publisher always stamps `capifnto` (the targeted handler, or `all`) and
// `capifnstatusroute`, and a subscription becomes one Trigger per watched kind plus one for events
// targeted at it: exactly one of them matches any event the routing rule (routing.ts) sends it. Two parts of the
// rule are left to the handler's runtime, which drops those events before any API call: a watch's `whenExists` (an
// absent attribute cannot be matched exactly) and `metadataChanges: false` (a Trigger requiring a new attribute
// would drop every event of a publisher that predates it, during an upgrade).
import { boundedName } from './names.ts';
import { kindsByGroup, type RoutingFields, routingFieldsOf } from './routing.ts';
import type { Subscription } from './types.ts';

export const ATTR_KIND = 'capifnkind';
export const ATTR_TO = 'capifnto';
/** `true` for a modification the bridge flagged status-only (the event's own `capifnstatusonly` may be absent). */
export const ATTR_STATUS_ONLY = 'capifnstatusroute';
/** The adapter's own attempt counter: a retry is a fresh publish targeted at the handler (no broker redelivery count exists). */
export const ATTR_ATTEMPT = 'capifnattempt';
/** Earliest delivery of a retried event (epoch ms): transport-only, unlike the event's own `capifnnotbefore`. */
export const ATTR_DUE = 'capifndue';
export const TO_ALL = 'all';

/** Attributes a broker or the Knative Go SDK adds on the way; never part of the event as published. */
const TRANSPORT_ATTRIBUTES = new Set([
  'knativearrivaltime',
  'traceparent',
  'tracestate',
  ATTR_KIND,
  ATTR_TO,
  ATTR_STATUS_ONLY,
  ATTR_ATTEMPT,
  ATTR_DUE,
]);

/** Events stay portable to a Kafka-backed broker (1 MB records) and to the bridge's other buses. */
export const KNATIVE_MAX_EVENT_BYTES = 256 * 1024;

/** The routing attributes for a payload, stamped on publish and stripped on delivery. */
export function knativeAttributesFor(payload: unknown): Record<string, string> {
  return attributesOf(routingFieldsOf(payload));
}

function attributesOf(f: RoutingFields): Record<string, string> {
  const attrs: Record<string, string> = { [ATTR_TO]: f.target ?? TO_ALL, [ATTR_STATUS_ONLY]: String(f.statusOnly) };
  if (f.group !== undefined && f.kind !== undefined) attrs[ATTR_KIND] = `${f.group}/${f.kind}`;
  // The CloudEvent's own `type`, for the property tests (a real event carries it already).
  if (f.type !== undefined) attrs.type = f.type;
  return attrs;
}

/** A Trigger's filter as the Broker sees it, with the trigger's name. */
export interface TriggerRoute {
  name: string;
  attributes: Record<string, string>;
}

const TRIGGER_NAME = { maxLength: 63, invalid: /[^a-z0-9-]/g, replacement: '-', lowercase: true, trimEnds: true };

/**
 * The Triggers for one subscription: one per watched kind (`capifnto=all`, the kind, and for handlers that
 * skip status-only changes `capifnstatusonly=false`), and one for events targeted at the handler.
 */
export function knativeTriggersFor(sub: Subscription): TriggerRoute[] {
  const routes: TriggerRoute[] = [
    { name: boundedName(`${sub.handler}-targeted`, TRIGGER_NAME), attributes: { [ATTR_TO]: sub.handler } },
  ];
  for (const { group, kinds, types, statusChanges } of kindsByGroup(sub)) {
    for (const kind of kinds) {
      const attributes: Record<string, string> = { [ATTR_TO]: TO_ALL, [ATTR_KIND]: `${group}/${kind}` };
      if (!statusChanges) attributes[ATTR_STATUS_ONLY] = 'false';
      // The group's first label keeps Machine (cluster.x-k8s.io) and Machine (machine.openshift.io) apart.
      const label = group.split('.')[0] || 'core';
      const name = `${sub.handler}-${kind}-${label}`;
      if (!types) routes.push({ name: boundedName(name, TRIGGER_NAME), attributes });
      // `filter.attributes` matches one value per attribute: one Trigger per type (the CloudEvent's own `type`).
      else
        for (const type of types)
          routes.push({
            name: boundedName(types.length === 1 ? name : `${name}-${type.split('.').pop()}`, TRIGGER_NAME),
            attributes: { ...attributes, type },
          });
    }
  }
  return routes;
}

/** Knative's `filter.attributes`: every listed attribute equals the event's (string) value. */
export function triggerMatches(attributes: Record<string, string>, event: Record<string, unknown>): boolean {
  return Object.entries(attributes).every(([k, v]) => event[k] !== undefined && String(event[k]) === v);
}

/** Whether any of a subscription's Triggers lets `fields` through (the property tests compare with routing.ts). */
export function triggersRoute(routes: TriggerRoute[], fields: RoutingFields): boolean {
  const stamped = attributesOf(fields);
  return routes.some((r) => triggerMatches(r.attributes, stamped));
}

// --- CloudEvents HTTP binding ---------------------------------------------------------------------------

export const STRUCTURED = 'application/cloudevents+json';

/** Percent-encodes what a header value may not carry (CloudEvents HTTP binding §3.1.3.2). */
function headerValue(s: string): string {
  return s.replace(/[^\x21-\x24\x26-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function fromHeaderValue(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Binary mode, as a Broker delivers to subscribers: context attributes as `ce-` headers, the data as the body. */
export function toBinary(event: Record<string, unknown>): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event)) {
    if (k === 'data' || k === 'data_base64' || k === 'datacontenttype' || v === undefined || v === null) continue;
    headers[`ce-${k}`] = headerValue(typeof v === 'string' ? v : JSON.stringify(v));
  }
  headers['content-type'] = typeof event.datacontenttype === 'string' ? event.datacontenttype : 'application/json';
  return { headers, body: event.data === undefined ? '' : JSON.stringify(event.data) };
}

/**
 * Reads a CloudEvent from an HTTP request in either mode. Returns the payload as sent (a structured body
 * that is not JSON comes back as its text, for the runtime to dead-letter with a reason).
 */
export function fromHttp(headers: Record<string, string | string[] | undefined>, body: string): unknown {
  const contentType = String(headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (contentType === STRUCTURED) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    event[name.slice(3)] = fromHeaderValue(Array.isArray(value) ? value.join(',') : value);
  }
  if (contentType) event.datacontenttype = contentType;
  if (body !== '') {
    try {
      event.data = /json/.test(contentType) ? JSON.parse(body) : body;
    } catch {
      event.data = body;
    }
  }
  return event;
}

/** The payload without what the transport added (routing stamps, the broker's arrival time, tracing). */
export function withoutTransportAttributes(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!TRANSPORT_ATTRIBUTES.has(k)) out[k] = v;
  return out;
}

/** `capifnattempt` of a delivered payload; 1 when absent or garbled. */
export function attemptOf(raw: unknown): number {
  const v = Number((raw as Record<string, unknown> | null)?.[ATTR_ATTEMPT]);
  return Number.isInteger(v) && v >= 1 ? v : 1;
}

// --- Trigger manifests -----------------------------------------------------------------------------------

export type KnativeDestination = { uri: string } | { ref: { apiVersion: string; kind: string; name: string } };

export interface KnativeTrigger {
  apiVersion: 'eventing.knative.dev/v1';
  kind: 'Trigger';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    broker: string;
    filter: { attributes: Record<string, string> };
    subscriber: KnativeDestination;
    delivery: {
      retry: number;
      backoffPolicy: 'exponential';
      backoffDelay: string;
      deadLetterSink?: KnativeDestination;
    };
  };
}

export const HANDLER_LABEL = 'capi-fn.io/handler';

/**
 * The Trigger for one route. Its delivery retries only transport failures (the function could not answer):
 * a reconcile's own retry is a fresh targeted publish that counts attempts (knative-receiver.ts).
 */
export function knativeTrigger(
  route: TriggerRoute,
  o: {
    handler: string;
    namespace: string;
    broker: string;
    subscriber: KnativeDestination;
    deadLetterSink?: KnativeDestination;
  },
): KnativeTrigger {
  return {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name: route.name, namespace: o.namespace, labels: { [HANDLER_LABEL]: o.handler } },
    spec: {
      broker: o.broker,
      filter: { attributes: route.attributes },
      subscriber: o.subscriber,
      delivery: {
        retry: 5,
        backoffPolicy: 'exponential',
        backoffDelay: 'PT0.5S',
        ...(o.deadLetterSink ? { deadLetterSink: o.deadLetterSink } : {}),
      },
    },
  };
}

/** POSTs `event` in structured mode (a Broker's ingress, a sink); a refusal throws with its status and first words. */
export async function postStructured(url: string, event: Record<string, unknown>): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': STRUCTURED },
    body: JSON.stringify(event),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  await res.body?.cancel();
}
