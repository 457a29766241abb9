// The drift check's view of the simulated cloud: every live instance and the Machine UID it was created for.
import type { OrphanScanner } from '../../drift/drift.ts';
import type { LocalCloud } from './cloud.ts';

export function localOrphanScanner(cloud: LocalCloud): OrphanScanner {
  return {
    provider: 'local',
    listOwned: async () =>
      cloud.live().map((i) => ({
        id: i.id,
        machineUid: i.key,
        createdAt: i.createdAt,
        description: `${i.name} (${i.providerID})`,
      })),
    terminate: (id) => cloud.terminate(id),
  };
}
