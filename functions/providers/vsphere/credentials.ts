// Which vCenter credentials a reconcile uses, in CAPV's and OpenShift's order: the Secret the VSphereCluster's
// `identityRef` names (keys `username`, `password`; the operator writes it from the installer's credentials), else
// the installer's `kube-system/vsphere-creds` (keys `<server>.username`, `<server>.password`), else the process's
// VSPHERE_SERVER / VSPHERE_USERNAME / VSPHERE_PASSWORD. One client per credential set, so a warm function reuses
// its session; `logout()` ends them all. Passwords stay inside the clients.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { VSphereCluster } from '../../../shared/api/providers/vsphere.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import {
  type ObjectProps,
  type ServiceContent,
  type TaskInfo,
  VimClient,
  type VimCredentials,
  type VimEvent,
  type VSphereApi,
} from './client.ts';
import { VSPHERE_CREDS } from './index.ts';
import type { MoRef, Transport, Typed } from './soap.ts';

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

/** No credentials anywhere for the vCenter a machine names: classified as an auth problem. */
export class MissingCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingCredentials';
  }
}

/** The process's credentials (VSPHERE_*), or what is missing in words. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): VimCredentials | { missing: string[] } {
  const missing = ['VSPHERE_SERVER', 'VSPHERE_USERNAME', 'VSPHERE_PASSWORD'].filter((k) => !env[k]);
  if (missing.length) return { missing };
  return {
    server: env.VSPHERE_SERVER!,
    username: env.VSPHERE_USERNAME!,
    password: env.VSPHERE_PASSWORD!,
    ...tlsFromEnv(env),
  };
}

/** TLS trust for every vCenter connection: VSPHERE_INSECURE=true, or a CA bundle file in VSPHERE_CA_FILE. */
export function tlsFromEnv(env: NodeJS.ProcessEnv): Pick<VimCredentials, 'insecure' | 'ca'> {
  return {
    insecure: env.VSPHERE_INSECURE === 'true' || env.VSPHERE_INSECURE === '1',
    ...(env.VSPHERE_CA_FILE ? { ca: readFileSync(env.VSPHERE_CA_FILE, 'utf8') } : {}),
  };
}

function keyOf(c: VimCredentials): string {
  const h = createHash('sha256')
    .update(`${c.password}\0${c.ca ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return `${c.server}|${c.username}|${c.insecure ? 'insecure' : 'verify'}|${h}`;
}

/** The host of a server address (`https://vc.example.com:8443/sdk` → `vc.example.com`). */
function hostOf(s: string): string {
  return s
    .replace(/^https?:\/\//, '')
    .replace(/[/].*$/, '')
    .replace(/:\d+$/, '')
    .toLowerCase();
}

const portOf = (s: string) => /:(\d+)(?:\/|$)/.exec(s.replace(/^https?:\/\//, ''))?.[1];

/** The same vCenter: the same host, and the same port where both name one. */
function sameServer(a: string, b: string): boolean {
  const [pa, pb] = [portOf(a), portOf(b)];
  return hostOf(a) === hostOf(b) && (pa === undefined || pb === undefined || pa === pb);
}

/**
 * The handlers' client: the process's default vCenter (from the environment, made on first use) for every call,
 * and a client per credential set the cluster holds (`withCredentials`).
 */
export class VSphereClients implements VSphereApi {
  // Plain fields, not getters or private fields: tests wrap this object in a Proxy that counts method calls.
  readonly env: NodeJS.ProcessEnv;
  readonly server: string;
  #default: VimClient | undefined;
  readonly #bound = new Map<string, VimClient>();
  readonly #transport: Transport | undefined;

  /** `transport` stands in for HTTPS (tests count the SOAP requests). */
  constructor(env: NodeJS.ProcessEnv = process.env, o: { transport?: Transport } = {}) {
    this.env = env;
    this.server = env.VSPHERE_SERVER ?? '';
    this.#transport = o.transport;
  }

  toJSON(): Record<string, string> {
    return { server: this.server };
  }

  private base(): VimClient {
    if (!this.#default) {
      const c = credentialsFromEnv(this.env);
      if ('missing' in c)
        throw new MissingCredentialsError(
          `no vCenter credentials: set ${c.missing.join(', ')}, or give the VSphereCluster an identityRef Secret`,
        );
      this.#default = new VimClient(c, this.#transport ? { transport: this.#transport } : {});
    }
    return this.#default;
  }

  withCredentials(c: VimCredentials): VSphereApi {
    const key = keyOf(c);
    let client = this.#bound.get(key);
    if (!client) {
      client = new VimClient(c, this.#transport ? { transport: this.#transport } : {});
      this.#bound.set(key, client);
    }
    return client;
  }

  serviceContent(): Promise<ServiceContent> {
    return this.base().serviceContent();
  }
  findByInventoryPath(path: string): Promise<MoRef | undefined> {
    return this.base().findByInventoryPath(path);
  }
  findByUuid(uuid: string, o: { instanceUuid: boolean; datacenter?: MoRef | undefined }): Promise<MoRef | undefined> {
    return this.base().findByUuid(uuid, o);
  }
  retrieve(objs: MoRef[], paths: Record<string, string[]>): Promise<ObjectProps[]> {
    return this.base().retrieve(objs, paths);
  }
  listVirtualMachines(paths: string[]): Promise<ObjectProps[]> {
    return this.base().listVirtualMachines(paths);
  }
  cloneVM(template: MoRef, folder: MoRef, name: string, spec: Typed): Promise<MoRef> {
    return this.base().cloneVM(template, folder, name, spec);
  }
  reconfigVM(vm: MoRef, spec: Typed): Promise<MoRef> {
    return this.base().reconfigVM(vm, spec);
  }
  powerOnVM(vm: MoRef): Promise<MoRef> {
    return this.base().powerOnVM(vm);
  }
  powerOffVM(vm: MoRef): Promise<MoRef> {
    return this.base().powerOffVM(vm);
  }
  destroy(obj: MoRef): Promise<MoRef> {
    return this.base().destroy(obj);
  }
  taskInfo(task: MoRef): Promise<TaskInfo> {
    return this.base().taskInfo(task);
  }
  storageProfileId(name: string): Promise<string | undefined> {
    return this.base().storageProfileId(name);
  }
  compatibleDatastores(profileId: string, datastores: MoRef[]): Promise<MoRef[]> {
    return this.base().compatibleDatastores(profileId, datastores);
  }
  queryEvents(o: { entity: MoRef; since: Date; types: string[] }): Promise<VimEvent[]> {
    return this.base().queryEvents(o);
  }
  /** Ends every session this process opened (a function host shutting down). */
  async logout(): Promise<void> {
    const all = [...this.#bound.values(), ...(this.#default ? [this.#default] : [])];
    await Promise.allSettled(all.map((c) => c.logout()));
  }
}

/**
 * A client whose every call fails with what is missing: the reconcile reports it in a condition (the VSphereCluster's
 * VCenterAvailable, the machine's failed lookup) instead of failing before it can say anything.
 */
export function unusable(message: string): VSphereApi {
  const fail = async (): Promise<never> => {
    throw new MissingCredentialsError(message);
  };
  return {
    server: '',
    serviceContent: fail,
    findByInventoryPath: fail,
    findByUuid: fail,
    retrieve: fail,
    listVirtualMachines: fail,
    cloneVM: fail,
    reconfigVM: fail,
    powerOnVM: fail,
    powerOffVM: fail,
    destroy: fail,
    taskInfo: fail,
    storageProfileId: fail,
    compatibleDatastores: fail,
    queryEvents: fail,
    logout: async () => {},
  };
}

function decoded(s: SecretLike | undefined, key: string): string | undefined {
  const v = s?.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8').trim() || undefined;
}

/**
 * The client for a machine or cluster on `server`: the cluster's identity Secret, the installer's credentials,
 * else the process's own. Credentials equal to the process's keep the process's client (and its session).
 */
export async function connectVSphere(
  clients: VSphereApi,
  kube: KubeClient,
  o: { server?: string | undefined; cluster?: VSphereCluster | undefined; namespace: string; env?: NodeJS.ProcessEnv },
): Promise<VSphereApi> {
  if (!(clients instanceof VSphereClients)) return clients;
  const pool = clients;
  const env = o.env ?? pool.env;
  const server = o.server || o.cluster?.spec?.server || env.VSPHERE_SERVER;
  const fromEnv = credentialsFromEnv(env);
  const fallback = 'missing' in fromEnv ? undefined : fromEnv;
  let creds: VimCredentials | undefined;
  const ref = o.cluster?.spec?.identityRef;
  if (server && ref?.kind === 'Secret') {
    const s = await kube.find<SecretLike>({ apiVersion: 'v1', kind: 'Secret', namespace: o.namespace, name: ref.name });
    const username = decoded(s, 'username');
    const password = decoded(s, 'password');
    if (!username || !password)
      return unusable(
        `VSphereCluster spec.identityRef names Secret ${o.namespace}/${ref.name}, which has no username and password`,
      );
    creds = { server, username, password, ...tlsFromEnv(env) };
  }
  if (!creds && server) {
    // The installer's keys name the host alone (a Secret key cannot hold the `:` of host:port).
    const host = hostOf(server);
    const s = await kube.find<SecretLike>({ apiVersion: 'v1', kind: 'Secret', ...VSPHERE_CREDS });
    const username = decoded(s, `${host}.username`);
    const password = decoded(s, `${host}.password`);
    if (username && password) creds = { server, username, password, ...tlsFromEnv(env) };
  }
  // A server named without a port reaches the process's vCenter of that host on the port VSPHERE_SERVER gives.
  if (creds && fallback && !/:\d+$/.test(creds.server) && sameServer(creds.server, fallback.server))
    creds.server = fallback.server;
  if (!creds) {
    if (fallback && (!server || sameServer(server, fallback.server))) return clients;
    if (!fallback && !server) return clients;
    return unusable(
      `no credentials for vCenter ${server ?? '(no server)'}: give the VSphereCluster an identityRef Secret, add ` +
        `${server ?? '<server>'}.username/.password to ${VSPHERE_CREDS.namespace}/${VSPHERE_CREDS.name}, or set VSPHERE_SERVER, VSPHERE_USERNAME and VSPHERE_PASSWORD`,
    );
  }
  // The process's own credentials keep the process's client (and its session).
  if (fallback && keyOf(creds) === keyOf(fallback)) return clients;
  return await pool.withCredentials(creds);
}
