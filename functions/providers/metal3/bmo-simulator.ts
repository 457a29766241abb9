// A stand-in for the baremetal-operator and Ironic (reference §3.8), for the embedded default and the tests: it
// moves BareMetalHosts through registering → inspecting → available → provisioning → provisioned →
// deprovisioning → available, fills `status.hardware`, fails on request, and registers a Node when a host is
// provisioned (named after the host, labelled `metal3.io/uuid`, with an empty providerID, as a real node would
// come up). It is not a BMO: no BMC is spoken to, no disk is written.
import type { KubeObject } from '../../../shared/api/meta.ts';
import { BareMetalHostFinalizer, BMHAnnotations } from '../../../shared/api/providers/constants.ts';
import type { BareMetalHost, BareMetalHostStatus } from '../../../shared/api/providers/metal3.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../../shared/kube/errors.ts';
import { type Logger, silentLogger } from '../../../shared/runtime/logger.ts';
import { nodeFor } from '../kit/node-simulator.ts';
import { BMH, hardwareOf, stateOf } from './hosts.ts';

/** `inspection` or `provisioning`: the simulated BMO fails that step for this host (tests, demos). */
export const SIMULATE_ERROR_ANNOTATION = 'capi-fn.io/simulate-error';

export interface BmoSimulatorOptions {
  kube: KubeClient;
  namespace?: string;
  /** Time each step takes (default 1 s). */
  stepMs?: number;
  intervalMs?: number;
  log?: Logger;
}

export interface BmoSimulator {
  tick(): Promise<void>;
  stop(): Promise<void>;
}

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

function hostIndex(name: string): number {
  let x = 0;
  for (const c of name) x = (x * 31 + c.charCodeAt(0)) >>> 0;
  return x;
}

function baseStatus(h: BareMetalHost): BareMetalHostStatus {
  return {
    operationalStatus: 'OK',
    hardwareProfile: 'unknown',
    provisioning: { state: '', ID: h.metadata.uid ?? '' },
    errorMessage: '',
    errorCount: 0,
    poweredOn: false,
    ...(h.status ?? {}),
  };
}

function hardware(h: BareMetalHost): Record<string, unknown> {
  const n = hostIndex(h.metadata.name!);
  return {
    hostname: h.metadata.name,
    nics: [
      {
        name: 'eno1',
        mac:
          h.spec?.bootMACAddress ??
          `52:54:00:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
        ip: `192.168.111.${20 + (n % 200)}`,
        speedGbps: 25,
        pxe: true,
      },
    ],
    cpu: { arch: 'x86_64', model: 'Intel(R) Xeon(R) Gold 6338N (simulated)', count: 32, clockMegahertz: 2200 },
    ramMebibytes: 131072,
    storage: [{ name: '/dev/sda', sizeBytes: 480103981056, rotational: false }],
    systemVendor: { manufacturer: 'capi-fn', productName: 'simulated bare metal', serialNumber: `SIM${n}` },
  };
}

export function startBmoSimulator(o: BmoSimulatorOptions): BmoSimulator {
  const log = (o.log ?? silentLogger).child({ component: 'bmo-simulator' });
  const step = o.stepMs ?? 1_000;
  const since = new Map<string, number>();
  let stopped = false;
  let wake: (() => void) | undefined;

  const due = (h: BareMetalHost) => Date.now() - (since.get(`${h.metadata.uid}/${stateOf(h)}`) ?? Date.now()) >= step;
  const mark = (h: BareMetalHost) => {
    const k = `${h.metadata.uid}/${stateOf(h)}`;
    if (!since.has(k)) since.set(k, Date.now());
  };

  async function setStatus(h: BareMetalHost, status: BareMetalHostStatus): Promise<void> {
    try {
      await o.kube.updateStatus({ ...h, status });
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) throw e;
    }
  }

  async function registerNode(h: BareMetalHost): Promise<void> {
    const hostname = hardwareOf(h).hostname ?? h.metadata.name!;
    const ip = (hardwareOf(h).nics ?? [])[0]?.ip;
    const { node, status } = nodeFor(
      {
        id: h.metadata.uid!,
        providerID: '',
        state: 'running',
        nativeState: 'provisioned',
        addresses: ip ? [{ type: 'InternalIP', address: ip }] : [],
        owner: {},
        hostname,
      },
      new Date(),
      'bmo-simulator',
    );
    node.metadata.labels = { ...(node.metadata.labels ?? {}), 'metal3.io/uuid': h.metadata.uid! };
    delete node.spec;
    try {
      const created = await o.kube.create(node);
      await o.kube.updateStatus({ ...created, status });
      log.info({ node: hostname, host: h.metadata.name }, 'simulated node registered');
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  async function userDataReadable(h: BareMetalHost): Promise<boolean> {
    const ref = h.spec?.userData;
    if (!ref?.name) return true;
    const s = await o.kube.find<SecretLike>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ref.namespace || h.metadata.namespace!,
      name: ref.name,
    });
    return Boolean(s?.data?.userData ?? s?.data?.value);
  }

  async function advance(h: BareMetalHost): Promise<void> {
    const fail = h.metadata.annotations?.[SIMULATE_ERROR_ANNOTATION];
    const status = baseStatus(h);
    const state = stateOf(h);
    const go = (next: string, extra: Partial<BareMetalHostStatus> = {}) =>
      setStatus(h, {
        ...status,
        ...extra,
        provisioning: { ...status.provisioning, ...(extra.provisioning ?? {}), state: next },
      });

    // BMO leaves a paused host alone entirely (CAPM3 pauses hosts during a move), deletion included.
    if (BMHAnnotations.paused in (h.metadata.annotations ?? {})) return;
    if (h.metadata.deletionTimestamp) {
      if (state !== 'deleting') return go('deleting', { poweredOn: false });
      if (!due(h)) return;
      const fins = (h.metadata.finalizers ?? []).filter((f) => f !== BareMetalHostFinalizer);
      await o.kube.update({ ...h, metadata: { ...h.metadata, finalizers: fins } }).catch((e: unknown) => {
        if (!isConflict(e) && !isNotFound(e)) throw e;
      });
      return;
    }
    if (!(h.metadata.finalizers ?? []).includes(BareMetalHostFinalizer)) {
      await o.kube
        .update({
          ...h,
          metadata: { ...h.metadata, finalizers: [...(h.metadata.finalizers ?? []), BareMetalHostFinalizer] },
        })
        .catch((e: unknown) => {
          if (!isConflict(e)) throw e;
        });
      return;
    }
    if (status.errorType) return; // stays failed until the annotation is removed and the status cleared
    const asked = Boolean(h.spec?.image?.url || h.spec?.customDeploy?.method);
    switch (state) {
      case '':
        return h.spec?.bmc?.address ? go('registering') : go('unmanaged', { operationalStatus: 'discovered' });
      case 'registering':
        if (due(h)) await go('inspecting');
        return;
      case 'inspecting':
        if (!due(h)) return;
        if (fail === 'inspection')
          return go('inspecting', {
            operationalStatus: 'error',
            errorType: 'inspection error',
            errorMessage: 'simulated inspection failure',
            errorCount: 1,
          });
        return go('available', { hardware: hardware(h) });
      case 'available':
      case 'ready':
        if (h.spec?.online && asked && h.spec.consumerRef) {
          if (!(await userDataReadable(h))) {
            return go(state, {
              operationalStatus: 'error',
              errorType: 'provisioning error',
              errorMessage: `user data Secret ${h.spec.userData?.name} has no userData or value key`,
              errorCount: 1,
            });
          }
          return go('provisioning', {
            provisioning: {
              state: 'provisioning',
              ID: status.provisioning.ID,
              ...(h.spec.image ? { image: h.spec.image } : {}),
              ...(h.spec.customDeploy ? { customDeploy: h.spec.customDeploy } : {}),
            },
          });
        }
        if (status.poweredOn !== Boolean(h.spec?.online)) return go(state, { poweredOn: Boolean(h.spec?.online) });
        return;
      case 'provisioning':
        if (!asked) return go('deprovisioning');
        if (!due(h)) return;
        if (fail === 'provisioning')
          return go('provisioning', {
            operationalStatus: 'error',
            errorType: 'provisioning error',
            errorMessage: 'simulated provisioning failure',
            errorCount: 1,
          });
        await go('provisioned', { poweredOn: true });
        await registerNode(h);
        return;
      case 'provisioned':
        if (!asked) return go('deprovisioning');
        return;
      case 'deprovisioning':
        if (!due(h)) return;
        return go('available', {
          poweredOn: Boolean(h.spec?.online),
          provisioning: { state: 'available', ID: status.provisioning.ID },
        });
    }
  }

  async function tick(): Promise<void> {
    const list = await o.kube.listAll<BareMetalHost>(BMH, o.namespace ? { namespace: o.namespace } : {});
    for (const h of list.items) {
      if (stopped) return;
      mark(h);
      await advance(h);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch (e) {
        if (!stopped && !isNotFound(e))
          log.warn({ err: e instanceof Error ? e.message : String(e) }, 'tick failed; retrying');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.intervalMs ?? Math.max(50, Math.min(500, step / 4)));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();

  return {
    tick,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

/** N hosts with BMC credentials, as an installer or a user registers them (`capi-fn up --hosts N`). */
export async function seedHosts(
  kube: KubeClient,
  o: {
    namespace: string;
    count: number;
    prefix?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  },
): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const name = `${o.prefix ?? 'host'}-${i}`;
    names.push(name);
    const secret = `${name}-bmc-secret`;
    for (const obj of [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, namespace: o.namespace },
        type: 'Opaque',
        data: {
          username: Buffer.from('admin').toString('base64'),
          password: Buffer.from('simulated').toString('base64'),
        },
      },
      {
        apiVersion: 'metal3.io/v1alpha1',
        kind: 'BareMetalHost',
        metadata: {
          name,
          namespace: o.namespace,
          ...(o.annotations ? { annotations: o.annotations } : {}),
          ...(o.labels ? { labels: o.labels } : {}),
        },
        spec: {
          online: false,
          bootMACAddress: `52:54:00:00:01:${i.toString(16).padStart(2, '0')}`,
          bmc: {
            address: `redfish-virtualmedia+http://192.168.111.1:8000/redfish/v1/Systems/${name}`,
            credentialsName: secret,
          },
        },
      },
    ]) {
      try {
        await kube.create(obj as KubeObject);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
  }
  return names;
}
