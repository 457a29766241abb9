// The kit's port over the simulated cloud: identity is the Machine UID (the cloud's create key), the
// ownership marker is the cluster tag the instance is created with.
import type { CloudInstance, CloudPort } from '../kit/port.ts';
import type { LocalCloudApi, LocalInstance, RunRequest } from './cloud.ts';

const STATES = { pending: 'pending', running: 'running', terminating: 'terminating', terminated: 'gone' } as const;

export function toCloudInstance(i: LocalInstance, now = Date.now()): CloudInstance {
  return {
    id: i.id,
    providerID: i.providerID,
    state: STATES[i.state],
    nativeState: i.state,
    // A boot has a known end: look again just after it.
    ...(i.state === 'pending' ? { pollAfterMs: Math.max(50, Date.parse(i.bootAt) - now + 50) } : {}),
    addresses: [
      { type: 'InternalIP', address: i.privateIp },
      { type: 'Hostname', address: i.hostname },
      { type: 'InternalDNS', address: i.hostname },
    ],
    failureDomain: i.zone,
    owner: { cluster: i.cluster, machineUid: i.key },
    createdAt: i.createdAt,
    hostname: i.hostname,
    instanceType: `local-${i.cpus}cpu-${i.memoryMiB}mib`,
    raw: i,
  };
}

export function localPort(cloud: LocalCloudApi): CloudPort<RunRequest> {
  return {
    async find(identity) {
      const i = await cloud.find(identity.machineUid);
      return i && i.state !== 'terminated' ? [toCloudInstance(i)] : [];
    },
    async get(id) {
      const i = await cloud.get(id);
      return i ? toCloudInstance(i) : undefined;
    },
    async create(request, _key, identity) {
      // The simulated cloud deduplicates by the Machine UID itself, across attempts: stronger than the key.
      return toCloudInstance(await cloud.run({ ...request, key: identity.machineUid, cluster: identity.clusterName }));
    },
    async delete(inst) {
      await cloud.terminate(inst.id);
    },
    async listOwned(scope) {
      const all = await cloud.list();
      return all.filter((i) => !scope.clusterName || i.cluster === scope.clusterName).map((i) => toCloudInstance(i));
    },
  };
}
