// Watch event → CloudEvent, keeping the object body only when it fits the bus (size limits differ:
// EventBridge 256 KB, Azure queues 64 KB; a handler re-reads when the body is absent).
import type { KubeObject } from '../../shared/api/meta.ts';
import {
  newResourceEvent,
  type ResourceEvent,
  type ResourceEventType,
  refOf,
} from '../../shared/events/resource-event.ts';
import type { Change } from './fingerprint.ts';

export function toResourceEvent(
  type: ResourceEventType,
  obj: KubeObject,
  opts: { source: string; maxEventBytes: number; change?: Change; absent?: string[] },
): ResourceEvent {
  const base = {
    type,
    source: opts.source,
    ref: refOf(obj),
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    ...(obj.metadata.generation !== undefined ? { generation: obj.metadata.generation } : {}),
    ...(type === 'io.capifn.resource.modified'
      ? { statusOnly: opts.change?.statusOnly === true, metaOnly: opts.change?.metaOnly === true }
      : {}),
    ...(opts.absent?.length ? { absent: opts.absent } : {}),
  };
  // Secret contents never leave the cluster: a bus is neither encrypted end to end nor access-controlled like
  // the API server, so handlers read Secrets from the API.
  if (obj.kind === 'Secret' && (obj.apiVersion === 'v1' || obj.apiVersion === undefined)) return newResourceEvent(base);
  // managedFields are large and no handler reads them.
  const { managedFields: _mf, ...meta } = obj.metadata;
  const withBody = newResourceEvent({ ...base, object: { ...obj, metadata: meta } });
  if (Buffer.byteLength(JSON.stringify(withBody)) <= opts.maxEventBytes) return withBody;
  return newResourceEvent({ ...base, id: withBody.id });
}
