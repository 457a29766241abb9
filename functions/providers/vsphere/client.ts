// A small typed vim25 client: the calls CAPV's lifecycle needs (providers-openstack-vsphere-metal3.md §2.10), one
// SOAP request per method so that tests can count and crash them. The session (cookie vmware_soap_session) is
// made on first use, reused while the function stays warm, made again once when vCenter says NotAuthenticated,
// and ended by logout(). The password stays in this object: never logged, never in an error, never on the bus.
import {
  arr,
  envelope,
  faultOf,
  httpTransport,
  type MoRef,
  moRef,
  type Node,
  parseXml,
  ref,
  type Transport,
  type Typed,
  text,
  VimFault,
  VimHttpError,
  xsiType,
} from './soap.ts';

export interface VimCredentials {
  /** vCenter host, `host:port`, or a URL (`https://vc.example.com/sdk`). */
  server: string;
  username: string;
  password: string;
  insecure?: boolean;
  /** PEM CA bundle for vCenter's certificate. */
  ca?: string;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  searchIndex: MoRef;
  sessionManager: MoRef;
  viewManager: MoRef;
  eventManager?: MoRef | undefined;
  about: { fullName: string; apiVersion: string; instanceUuid?: string | undefined };
}

export interface ObjectProps {
  obj: MoRef;
  /** Property path → the raw value element (`@xsi:type` says its type). */
  props: Record<string, unknown>;
}

export type TaskState = 'queued' | 'running' | 'success' | 'error';

export interface TaskInfo {
  task: MoRef;
  state: TaskState;
  descriptionId?: string | undefined;
  entity?: MoRef | undefined;
  result?: MoRef | undefined;
  /** The fault of a failed task. */
  error?: VimFault | undefined;
  queueTime?: string | undefined;
}

/** The vCenter operations the provider uses: the port, the tests and `doctor` see only this. */
export interface VSphereApi {
  readonly server: string;
  serviceContent(): Promise<ServiceContent>;
  findByInventoryPath(path: string): Promise<MoRef | undefined>;
  findByUuid(uuid: string, o: { instanceUuid: boolean; datacenter?: MoRef | undefined }): Promise<MoRef | undefined>;
  /** RetrievePropertiesEx: the listed properties of each object, by type. */
  retrieve(objs: MoRef[], paths: Record<string, string[]>): Promise<ObjectProps[]>;
  /** Every VirtualMachine (and template) under the root folder, with the listed properties. */
  listVirtualMachines(paths: string[]): Promise<ObjectProps[]>;
  cloneVM(template: MoRef, folder: MoRef, name: string, spec: Typed): Promise<MoRef>;
  reconfigVM(vm: MoRef, spec: Typed): Promise<MoRef>;
  powerOnVM(vm: MoRef): Promise<MoRef>;
  powerOffVM(vm: MoRef): Promise<MoRef>;
  destroy(obj: MoRef): Promise<MoRef>;
  taskInfo(task: MoRef): Promise<TaskInfo>;
  /** The storage policy (PBM requirement profile) of this name, by its unique ID; undefined when there is none. */
  storageProfileId(name: string): Promise<string | undefined>;
  /** PbmCheckRequirements: those of `datastores` the storage policy can place a VM on. */
  compatibleDatastores(profileId: string, datastores: MoRef[]): Promise<MoRef[]>;
  /** EventManager.QueryEvents: the events of `entity` since `since`, of the given types (newest last). */
  queryEvents(o: { entity: MoRef; since: Date; types: string[] }): Promise<VimEvent[]>;
  logout(): Promise<void>;
}

/** An event as the provider reads it: its type, its chain (a task's events share one), and the VM names it carries. */
export interface VimEvent {
  type: string;
  chainId?: string | undefined;
  createdTime?: string | undefined;
  /** `vm.name` of the event (VmClonedEvent: the new VM). */
  vmName?: string | undefined;
  /** `destName` of a clone event (VmBeingClonedEvent, VmCloneFailedEvent). */
  destName?: string | undefined;
}

export function sdkUrl(server: string): URL {
  const withScheme = /^https?:\/\//.test(server) ? server : `https://${server}`;
  const u = new URL(withScheme);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/sdk';
  return u;
}

const SERVICE_INSTANCE = moRef('ServiceInstance', 'ServiceInstance');
const PBM_SERVICE_INSTANCE = moRef('PbmServiceInstance', 'ServiceInstance');

export class VimClient implements VSphereApi {
  readonly server: string;
  readonly username: string;
  readonly #password: string;
  readonly #url: URL;
  /** The storage policy service (govmomi's pbm.Path; vCenter serves it beside /sdk). */
  readonly #pbmUrl: URL;
  readonly #send: Transport;
  #content: Promise<ServiceContent> | undefined;
  #pbm: Promise<{ profileManager: MoRef; placementSolver: MoRef }> | undefined;
  #cookie: string | undefined;
  #login: Promise<void> | undefined;
  #version = '6.5';

  constructor(creds: VimCredentials, o: { transport?: Transport; timeoutMs?: number } = {}) {
    this.server = creds.server;
    this.username = creds.username;
    this.#password = creds.password;
    this.#url = sdkUrl(creds.server);
    this.#pbmUrl = new URL('/pbm', this.#url);
    this.#send =
      o.transport ??
      httpTransport({
        ...(creds.insecure !== undefined ? { insecure: creds.insecure } : {}),
        ...(creds.ca ? { ca: creds.ca } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      });
  }

  /** What a log line or JSON.stringify shows of the client: never the password. */
  toJSON(): Record<string, string> {
    return { server: this.server, username: this.username };
  }

  /**
   * One SOAP call; the body's first child (`<MethodResponse>`) or a VimFault. The storage policy service (`pbm`) is
   * a second endpoint in the same session: the vim25 cookie, also as the `vcSessionCookie` header it asks for.
   */
  private async raw(method: string, self: MoRef, args: Record<string, unknown>, service?: 'pbm'): Promise<Node> {
    const headers: Record<string, string> = {
      'Content-Type': 'text/xml; charset="utf-8"',
      SOAPAction: service === 'pbm' ? 'urn:pbm/2.0' : `urn:vim25/${this.#version}`,
    };
    if (this.#cookie) headers.Cookie = this.#cookie;
    const session = this.#cookie?.slice(this.#cookie.indexOf('=') + 1).replace(/^"|"$/g, '');
    const request =
      service === 'pbm'
        ? envelope(method, self, args, {
            namespace: 'urn:pbm',
            ...(session ? { header: { vcSessionCookie: session } } : {}),
          })
        : envelope(method, self, args);
    const res = await this.#send(service === 'pbm' ? this.#pbmUrl : this.#url, headers, request);
    for (const c of res.setCookie) {
      const m = /^(vmware_soap_session=[^;]*)/.exec(c);
      if (m) this.#cookie = m[1];
    }
    let doc: Node;
    try {
      doc = parseXml(res.body);
    } catch {
      throw new VimHttpError(res.status, `vCenter answered ${method} with HTTP ${res.status} and no SOAP body`);
    }
    const body = (doc.Envelope as Node | undefined)?.Body as Node | undefined;
    if (!body)
      throw new VimHttpError(res.status, `vCenter answered ${method} with HTTP ${res.status} and no SOAP body`);
    if (body.Fault) throw faultOf(body.Fault as Node, res.status);
    if (res.status >= 400) throw new VimHttpError(res.status, `vCenter answered ${method} with HTTP ${res.status}`);
    return (body[`${method}Response`] as Node | undefined) ?? {};
  }

  /** A call in the session: logs in first if needed, and once more when the session expired. */
  private async call(
    method: string,
    self: MoRef,
    args: Record<string, unknown> = {},
    check?: (r: Node) => void,
    service?: 'pbm',
  ): Promise<Node> {
    if (!this.#cookie) await this.ensureLogin();
    const once = async () => {
      const r = await this.raw(method, self, args, service);
      check?.(r);
      return r;
    };
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof VimFault) || e.fault !== 'NotAuthenticated') throw e;
      this.#cookie = undefined;
      await this.ensureLogin();
      return once();
    }
  }

  private ensureLogin(): Promise<void> {
    this.#login ??= (async () => {
      const sc = await this.serviceContent();
      await this.raw('Login', sc.sessionManager, { userName: this.username, password: this.#password });
    })().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  serviceContent(): Promise<ServiceContent> {
    this.#content ??= this.raw('RetrieveServiceContent', SERVICE_INSTANCE, {})
      .then((r) => {
        const v = r.returnval as Node;
        const about = v.about as Node;
        const sc: ServiceContent = {
          rootFolder: ref(v.rootFolder)!,
          propertyCollector: ref(v.propertyCollector)!,
          searchIndex: ref(v.searchIndex)!,
          sessionManager: ref(v.sessionManager)!,
          viewManager: ref(v.viewManager)!,
          eventManager: ref(v.eventManager),
          about: {
            fullName: text(about.fullName) ?? '',
            apiVersion: text(about.apiVersion) ?? '6.5',
            instanceUuid: text(about.instanceUuid),
          },
        };
        this.#version = sc.about.apiVersion;
        return sc;
      })
      .catch((e) => {
        this.#content = undefined;
        throw e;
      });
    return this.#content;
  }

  async findByInventoryPath(path: string): Promise<MoRef | undefined> {
    const sc = await this.serviceContent();
    const r = await this.call('FindByInventoryPath', sc.searchIndex, { inventoryPath: path.replace(/^\/+/, '') });
    return ref(r.returnval);
  }

  async findByUuid(
    uuid: string,
    o: { instanceUuid: boolean; datacenter?: MoRef | undefined },
  ): Promise<MoRef | undefined> {
    const sc = await this.serviceContent();
    const r = await this.call('FindByUuid', sc.searchIndex, {
      datacenter: o.datacenter,
      uuid,
      vmSearch: true,
      instanceUuid: o.instanceUuid,
    });
    return ref(r.returnval);
  }

  async retrieve(objs: MoRef[], paths: Record<string, string[]>): Promise<ObjectProps[]> {
    if (!objs.length) return [];
    const sc = await this.serviceContent();
    const specSet = {
      propSet: Object.entries(paths).map(([type, pathSet]) => ({ type, pathSet })),
      objectSet: objs.map((obj) => ({ obj })),
    };
    return this.collect(sc.propertyCollector, specSet);
  }

  async listVirtualMachines(paths: string[]): Promise<ObjectProps[]> {
    const sc = await this.serviceContent();
    const view = ref(
      (
        await this.call('CreateContainerView', sc.viewManager, {
          container: sc.rootFolder,
          type: 'VirtualMachine',
          recursive: true,
        })
      ).returnval,
    )!;
    try {
      return await this.collect(sc.propertyCollector, {
        propSet: [{ type: 'VirtualMachine', pathSet: paths }],
        objectSet: [
          {
            obj: view,
            skip: true,
            selectSet: [{ xsi: 'TraversalSpec', name: 'view', type: 'ContainerView', path: 'view', skip: false }],
          },
        ],
      });
    } finally {
      await this.call('DestroyView', view).catch(() => undefined);
    }
  }

  private async collect(pc: MoRef, specSet: Record<string, unknown>): Promise<ObjectProps[]> {
    const out: ObjectProps[] = [];
    let r = (await this.call('RetrievePropertiesEx', pc, { specSet, options: {} }, missingFaults)).returnval as
      | Node
      | undefined;
    for (;;) {
      for (const o of arr(r?.objects)) {
        const props: Record<string, unknown> = {};
        for (const p of arr(o.propSet)) props[text(p.name)!] = p.val;
        out.push({ obj: ref(o.obj)!, props });
      }
      const token = text(r?.token);
      if (!token) return out;
      r = (await this.call('ContinueRetrievePropertiesEx', pc, { token }, missingFaults)).returnval as Node | undefined;
    }
  }

  private async task(method: string, self: MoRef, args: Record<string, unknown> = {}): Promise<MoRef> {
    return ref((await this.call(method, self, args)).returnval)!;
  }

  cloneVM(template: MoRef, folder: MoRef, name: string, spec: Typed): Promise<MoRef> {
    return this.task('CloneVM_Task', template, { folder, name, spec });
  }

  reconfigVM(vm: MoRef, spec: Typed): Promise<MoRef> {
    return this.task('ReconfigVM_Task', vm, { spec });
  }

  powerOnVM(vm: MoRef): Promise<MoRef> {
    return this.task('PowerOnVM_Task', vm);
  }

  powerOffVM(vm: MoRef): Promise<MoRef> {
    return this.task('PowerOffVM_Task', vm);
  }

  destroy(obj: MoRef): Promise<MoRef> {
    return this.task('Destroy_Task', obj);
  }

  /** CreateSnapshot_Task (not a provider call: tests and tools make a template's snapshot for linked clones). */
  createSnapshot(vm: MoRef, name: string): Promise<MoRef> {
    return this.task('CreateSnapshot_Task', vm, { name, memory: false, quiesce: false });
  }

  /** MarkAsTemplate (not a provider call: tests make a real template of a powered-off VM). */
  async markAsTemplate(vm: MoRef): Promise<void> {
    await this.call('MarkAsTemplate', vm);
  }

  async taskInfo(task: MoRef): Promise<TaskInfo> {
    const [o] = await this.retrieve([task], { Task: ['info'] });
    const info = (o?.props.info ?? {}) as Node;
    return parseTaskInfo(task, info);
  }

  async storageProfileId(name: string): Promise<string | undefined> {
    const pm = (await this.pbmContent()).profileManager;
    const ids = arr(
      (
        await this.call(
          'PbmQueryProfile',
          pm,
          { resourceType: { resourceType: 'STORAGE' }, profileCategory: 'REQUIREMENT' },
          undefined,
          'pbm',
        )
      ).returnval,
    ).map((r) => text(r.uniqueId));
    if (!ids.length) return undefined;
    const profiles = arr(
      (
        await this.call(
          'PbmRetrieveContent',
          pm,
          { profileIds: ids.map((uniqueId) => ({ uniqueId })) },
          undefined,
          'pbm',
        )
      ).returnval,
    );
    const hit = profiles.find((p) => text(p.name) === name);
    return hit ? text((hit.profileId as Node | undefined)?.uniqueId) : undefined;
  }

  async compatibleDatastores(profileId: string, datastores: MoRef[]): Promise<MoRef[]> {
    if (!datastores.length) return [];
    const solver = (await this.pbmContent()).placementSolver;
    const r = await this.call(
      'PbmCheckRequirements',
      solver,
      {
        hubsToSearch: datastores.map((d) => ({ hubType: d.type, hubId: d.value })),
        placementSubjectRequirement: {
          xsi: 'PbmPlacementCapabilityProfileRequirement',
          profileId: { uniqueId: profileId },
        },
      },
      undefined,
      'pbm',
    );
    // A hub with an error (or none given back) does not meet the policy.
    return arr(r.returnval)
      .filter((x) => !x.error)
      .map((x) => x.hub as Node | undefined)
      .filter((h): h is Node => Boolean(h && text(h.hubId)))
      .map((h) => moRef(text(h.hubType) ?? 'Datastore', text(h.hubId)!));
  }

  private pbmContent(): Promise<{ profileManager: MoRef; placementSolver: MoRef }> {
    this.#pbm ??= this.call('PbmRetrieveServiceContent', PBM_SERVICE_INSTANCE, {}, undefined, 'pbm')
      .then((r) => {
        const v = r.returnval as Node;
        return { profileManager: ref(v.profileManager)!, placementSolver: ref(v.placementSolver)! };
      })
      .catch((e) => {
        this.#pbm = undefined;
        throw e;
      });
    return this.#pbm;
  }

  async queryEvents(o: { entity: MoRef; since: Date; types: string[] }): Promise<VimEvent[]> {
    const sc = await this.serviceContent();
    if (!sc.eventManager) return [];
    const r = await this.call('QueryEvents', sc.eventManager, {
      filter: {
        entity: { entity: o.entity, recursion: 'self' },
        time: { beginTime: o.since.toISOString() },
        eventTypeId: o.types,
      },
    });
    return arr(r.returnval)
      .map((e) => ({
        type: xsiType(e) ?? '',
        chainId: text(e.chainId),
        createdTime: text(e.createdTime),
        vmName: text((e.vm as Node | undefined)?.name),
        destName: text(e.destName),
      }))
      .sort((a, b) => (a.createdTime ?? '').localeCompare(b.createdTime ?? ''));
  }

  async logout(): Promise<void> {
    if (!this.#cookie) return;
    const sc = await this.serviceContent();
    try {
      await this.raw('Logout', sc.sessionManager, {});
    } finally {
      this.#cookie = undefined;
    }
  }
}

/**
 * A property the collector could not read comes back in `missingSet`, not as a SOAP fault (vcsim answers a call
 * without a session this way): a lost session, a missing object or a missing privilege is thrown as the fault it is.
 */
const MISSING_FAULTS = new Set(['NotAuthenticated', 'ManagedObjectNotFound', 'NoPermission']);

function missingFaults(r: Node): void {
  const v = r.returnval as Node | undefined;
  for (const o of arr(v?.objects)) {
    for (const m of arr(o.missingSet)) {
      const fault = (m.fault as Node | undefined)?.fault;
      const type = xsiType(fault);
      if (type && MISSING_FAULTS.has(type))
        throw new VimFault(type, `reading ${text(m.path)} of ${ref(o.obj)?.value ?? 'an object'}: ${type}`, {
          detail: fault as Node,
        });
    }
  }
}

export function parseTaskInfo(task: MoRef, info: Node): TaskInfo {
  const state = (text(info.state) ?? 'queued') as TaskState;
  const err = info.error as Node | undefined;
  let error: VimFault | undefined;
  if (state === 'error' && err) {
    const fault = err.fault as Node | undefined;
    const name = (fault && typeof fault['@xsi:type'] === 'string' ? fault['@xsi:type'] : 'SystemError').replace(
      /^.*:/,
      '',
    );
    // The property vCenter blamed (InvalidArgument, InvalidVmConfig …), when its message does not already say it.
    const prop = text(fault?.invalidProperty) ?? text(fault?.property);
    const message = text(err.localizedMessage) ?? name;
    error = new VimFault(name, prop && !message.includes(prop) ? `${message}: ${prop}` : message, { detail: fault });
  }
  return {
    task,
    state,
    descriptionId: text(info.descriptionId),
    entity: ref(info.entity),
    result: ref(info.result),
    error,
    queueTime: text(info.queueTime),
  };
}
