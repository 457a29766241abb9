// What every handler and controller shares: the store, the served resource types, admission, and options.
import type { Admission } from './admission.ts';
import type { Registry, ResourceDef } from './registry.ts';
import type { Store } from './storage/store.ts';

export interface ApiContext {
  store: Store;
  registry: Registry;
  admission: Admission;
  log: (line: string) => void;
  /** host:port clients use, for /api serverAddressByClientCIDRs */
  address: () => string;
  /** bookmark interval for watches that allow bookmarks */
  bookmarkIntervalMs: number;
  /** live-event bytes a watch may have queued for a client that does not read before it is closed with 410 */
  watchBufferBytes: number;
  /** resolve a webhook service reference to an https base URL */
  resolveService?: (namespace: string, name: string, port: number) => string | undefined;
  /** called after a CRD changed so the served resource set follows */
  onCrdChanged: (name: string) => void;
  /** closing: watches end, controllers stop */
  stopping: boolean;
  /** live watch streams to end on stop or when their resource disappears */
  watches: Set<{ def: ResourceDef; close: () => void }>;
}
