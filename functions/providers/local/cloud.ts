// The simulated cloud of the embedded default. It keeps the contract of a real one: instances are
// created idempotently by an identity key (the Machine UID, like an EC2 ClientToken), carry their
// cluster's ownership tag, boot after a delay, and on boot their "kubelet" registers a Node with the
// instance's providerID. It has a small catalogue, as a cloud does: images, zones and the largest size
// it offers, so a wrong reference fails the way it would on a real cloud.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { LOCAL_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../../shared/kube/errors.ts';
import type { Logger } from '../../../shared/runtime/logger.ts';
import { silentLogger } from '../../../shared/runtime/logger.ts';

export type InstanceState = 'pending' | 'running' | 'terminating' | 'terminated';

export interface LocalInstance {
  id: string;
  /** Identity key: the Machine UID. A second run() with the same key returns this instance. */
  key: string;
  /** The cluster whose ownership tag it carries (absent on instances of older data folders). */
  cluster?: string;
  name: string;
  zone: string;
  state: InstanceState;
  createdAt: string;
  bootAt: string;
  privateIp: string;
  hostname: string;
  providerID: string;
  image?: string;
  cpus: number;
  memoryMiB: number;
}

export interface RunRequest {
  key: string;
  name: string;
  cluster?: string;
  zone?: string;
  bootDelayMs?: number;
  image?: string;
  cpus?: number;
  memoryMiB?: number;
}

/** What the simulated cloud offers. */
export interface LocalCatalogue {
  images: string[];
  zones: string[];
  maxCpus: number;
  maxMemoryMiB: number;
}

export const DEFAULT_CATALOGUE: LocalCatalogue = {
  images: ['rhcos-4.20-local', 'rhcos-4.19-local', 'rhcos-4.18-local'],
  zones: ['local-a', 'local-b', 'local-c'],
  maxCpus: 64,
  maxMemoryMiB: 512 * 1024,
};

/** The provider's view of the simulated cloud; tests wrap it to count calls or inject crashes. */
export interface LocalCloudApi {
  /** The instance created with this identity key (terminated ones included). */
  find(key: string): Promise<LocalInstance | undefined>;
  get(id: string): Promise<LocalInstance | undefined>;
  run(req: RunRequest): Promise<LocalInstance>;
  terminate(id: string): Promise<void>;
  /** Every instance not yet terminated. */
  list(): Promise<LocalInstance[]>;
  catalogue(): Promise<LocalCatalogue>;
}

/** A request the simulated cloud refuses, shaped like a cloud's client error. */
export class LocalCloudError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'LocalCloudError';
    this.code = code;
    this.status = status;
  }
}

export interface LocalCloudOptions {
  /** Where instances are persisted (`npm start` keeps them across restarts); in memory when absent. */
  stateFile?: string;
  /** The API server the simulated kubelets register Nodes with. */
  kube?: KubeClient;
  defaultBootDelayMs?: number;
  /** Time from terminate to terminated. */
  terminateDelayMs?: number;
  log?: Logger;
  now?: () => number;
}

function ipFor(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255 || 1}`;
}

export class LocalCloud implements LocalCloudApi {
  private readonly instances = new Map<string, LocalInstance>();
  private readonly byKey = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly o: LocalCloudOptions;
  private readonly log: Logger;
  private seq = 0;
  private closed = false;
  private cat: LocalCatalogue = structuredClone(DEFAULT_CATALOGUE);
  /** Calls made, by operation: the benchmark and tests read these. */
  readonly calls = { find: 0, get: 0, run: 0, terminate: 0, list: 0 };

  constructor(opts: LocalCloudOptions = {}) {
    this.o = opts;
    this.log = (opts.log ?? silentLogger).child({ component: 'local-cloud' });
    if (opts.stateFile && existsSync(opts.stateFile)) {
      const saved = JSON.parse(readFileSync(opts.stateFile, 'utf8')) as {
        seq: number;
        instances: LocalInstance[];
        catalogue?: LocalCatalogue;
      };
      this.seq = saved.seq;
      if (saved.catalogue) this.cat = saved.catalogue;
      for (const i of saved.instances) {
        this.instances.set(i.id, i);
        this.byKey.set(i.key, i.id);
      }
    }
    for (const i of this.instances.values()) this.schedule(i);
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  private save(): void {
    if (!this.o.stateFile) return;
    const tmp = `${this.o.stateFile}.tmp`;
    writeFileSync(
      tmp,
      JSON.stringify({ seq: this.seq, catalogue: this.cat, instances: [...this.instances.values()] }, null, 1),
    );
    renameSync(tmp, this.o.stateFile);
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        if (!this.closed) fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(t);
  }

  /** Drives state by the clock: boots pending instances and finishes terminations, even after a restart. */
  private schedule(i: LocalInstance): void {
    if (i.state === 'pending') this.later(Date.parse(i.bootAt) - this.now(), () => void this.boot(i.id));
    else if (i.state === 'terminating') this.later(this.o.terminateDelayMs ?? 0, () => this.finishTermination(i.id));
    else if (i.state === 'running') void this.registerNode(i);
  }

  private async boot(id: string): Promise<void> {
    const i = this.instances.get(id);
    if (i?.state !== 'pending') return;
    i.state = 'running';
    this.save();
    await this.registerNode(i);
  }

  private finishTermination(id: string): void {
    const i = this.instances.get(id);
    if (i?.state !== 'terminating') return;
    i.state = 'terminated';
    this.save();
    void this.removeNode(i);
  }

  /**
   * What a cloud controller manager's node lifecycle controller does: the Node of an instance that no longer exists
   * goes. Normally the Machine's deletion has deleted it already; this catches a kubelet that registered just as its
   * Machine was being deleted (found by the chaos suite), as the cloud's own controller does on a real cluster.
   */
  private async removeNode(i: LocalInstance): Promise<void> {
    const kube = this.o.kube;
    if (!kube || this.closed) return;
    try {
      const node = (await kube.find({ apiVersion: 'v1', kind: 'Node', name: i.hostname })) as
        | { metadata: { uid?: string }; spec?: { providerID?: string } }
        | undefined;
      if (!node || node.spec?.providerID !== i.providerID) return;
      await kube.delete(
        { apiVersion: 'v1', kind: 'Node', name: i.hostname },
        { preconditions: { uid: node.metadata.uid! } },
      );
      this.log.info(
        { node: i.hostname },
        'simulated node lifecycle controller deleted the Node of a terminated instance',
      );
    } catch (e) {
      if (this.closed || isNotFound(e) || isConflict(e)) return;
      this.later(1_000, () => void this.removeNode(i));
    }
  }

  /** What a kubelet does after ignition: register its Node (idempotent), Ready. */
  private async registerNode(i: LocalInstance): Promise<void> {
    const kube = this.o.kube;
    // A kubelet whose instance was terminated meanwhile registers nothing (a retry after the API server was away
    // must not bring back the Node of a deleted Machine; the chaos suite found one).
    if (!kube || this.closed || this.instances.get(i.id)?.state !== 'running') return;
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: i.hostname,
        labels: {
          'kubernetes.io/hostname': i.hostname,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': `local-${i.cpus}cpu-${i.memoryMiB}mib`,
          'topology.kubernetes.io/zone': i.zone,
        },
      },
      spec: { providerID: i.providerID },
    };
    const at = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      capacity: { cpu: String(i.cpus), memory: `${i.memoryMiB}Mi`, pods: '110' },
      allocatable: { cpu: String(i.cpus), memory: `${i.memoryMiB}Mi`, pods: '110' },
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: i.privateIp },
        { type: 'Hostname', address: i.hostname },
      ],
      nodeInfo: {
        machineID: i.id,
        systemUUID: i.key,
        bootID: i.id,
        kernelVersion: '6.1.0-capi-fn',
        osImage: i.image ?? 'Red Hat Enterprise Linux CoreOS (simulated)',
        containerRuntimeVersion: 'cri-o://1.32.0',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
    try {
      let created: { metadata: { resourceVersion?: string } } | undefined;
      try {
        created = (await kube.create(node)) as typeof created;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = (await kube.get({ apiVersion: 'v1', kind: 'Node', name: i.hostname })) as {
          spec?: { providerID?: string };
          status?: unknown;
        };
        if (existing.spec?.providerID !== i.providerID || existing.status) return;
        created = existing as typeof created;
      }
      await kube.updateStatus({
        ...node,
        metadata: { ...node.metadata, resourceVersion: created!.metadata.resourceVersion },
        status,
      });
      this.log.info({ node: i.hostname, providerID: i.providerID }, 'simulated kubelet registered its Node');
      // Terminated while registering: the lifecycle controller's check ran before the Node existed.
      if (this.instances.get(i.id)?.state !== 'running') void this.removeNode(i);
    } catch (e) {
      if (this.closed) return;
      this.log.warn({ node: i.hostname, err: String(e) }, 'Node registration failed; retrying');
      this.later(1_000, () => void this.registerNode(i));
    }
  }

  async find(key: string): Promise<LocalInstance | undefined> {
    this.calls.find++;
    const id = this.byKey.get(key);
    const i = id ? this.instances.get(id) : undefined;
    return i ? { ...i } : undefined;
  }

  async get(id: string): Promise<LocalInstance | undefined> {
    this.calls.get++;
    const i = this.instances.get(id);
    return i ? { ...i } : undefined;
  }

  async list(): Promise<LocalInstance[]> {
    this.calls.list++;
    return this.live();
  }

  async catalogue(): Promise<LocalCatalogue> {
    return structuredClone(this.cat);
  }

  /** Makes an image available (tests, and a user fixing a missing image). */
  addImage(name: string): void {
    if (!this.cat.images.includes(name)) this.cat.images.push(name);
    this.save();
  }

  /** Opens a zone (tests, and a user fixing a missing zone). */
  addZone(name: string): void {
    if (!this.cat.zones.includes(name)) this.cat.zones.push(name);
    this.save();
  }

  /** Terminates an instance as someone outside capi-fn would (tests: "terminated behind our back"). */
  terminateNow(id: string): void {
    const i = this.instances.get(id);
    if (!i) return;
    i.state = 'terminated';
    this.save();
  }

  async run(req: RunRequest): Promise<LocalInstance> {
    this.calls.run++;
    const existing = this.byKey.get(req.key);
    if (existing) {
      const i = this.instances.get(existing)!;
      // Like a ClientToken: the same key returns the instance the first request made, unless it is gone.
      if (i.state !== 'terminated') return { ...i };
    }
    const zone = req.zone ?? 'local-a';
    // The checks a cloud makes on a create (its 400s): the provider checks first, this is the backstop.
    if (req.image && !this.cat.images.includes(req.image))
      throw new LocalCloudError('ImageNotFound', 404, `image ${req.image} does not exist`);
    if (!this.cat.zones.includes(zone)) throw new LocalCloudError('ZoneNotFound', 404, `zone ${zone} does not exist`);
    if ((req.cpus ?? 2) > this.cat.maxCpus || (req.memoryMiB ?? 4096) > this.cat.maxMemoryMiB)
      throw new LocalCloudError(
        'InvalidInstanceSize',
        400,
        `no instance size has ${req.cpus} CPUs and ${req.memoryMiB} MiB`,
      );
    const n = ++this.seq;
    const id = `i-${n.toString(16).padStart(8, '0')}${req.key.replace(/-/g, '').slice(0, 8)}`;
    const now = this.now();
    const i: LocalInstance = {
      id,
      key: req.key,
      ...(req.cluster ? { cluster: req.cluster } : {}),
      name: req.name,
      zone,
      state: 'pending',
      createdAt: new Date(now).toISOString(),
      bootAt: new Date(now + (req.bootDelayMs ?? this.o.defaultBootDelayMs ?? 2_000)).toISOString(),
      privateIp: ipFor(n),
      hostname: req.name,
      providerID: `${LOCAL_PROVIDER_ID_PREFIX}${zone}/${id}`,
      cpus: req.cpus ?? 2,
      memoryMiB: req.memoryMiB ?? 4096,
      ...(req.image ? { image: req.image } : {}),
    };
    this.instances.set(id, i);
    this.byKey.set(req.key, id);
    this.save();
    this.schedule(i);
    return { ...i };
  }

  async terminate(id: string): Promise<void> {
    this.calls.terminate++;
    const i = this.instances.get(id);
    if (!i || i.state === 'terminated' || i.state === 'terminating') return;
    i.state = 'terminating';
    this.save();
    this.schedule(i);
  }

  /** Every instance not yet terminated (tests assert "no orphan"). */
  live(): LocalInstance[] {
    return [...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => ({ ...i }));
  }

  all(): LocalInstance[] {
    return [...this.instances.values()].map((i) => ({ ...i }));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
