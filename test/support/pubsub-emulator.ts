// The Google Cloud Pub/Sub emulator from the gcloud SDK. Its launcher script execs java, so the
// process we spawn is the JVM itself; stop() kills the process group and then checks the PID is gone.
import { pubsubEmulatorPath } from './peers.ts';
import { alive, type RunningPeer, startPeer } from './spawn-peer.ts';

export interface PubSubEmulator extends RunningPeer {
  /** Value for PUBSUB_EMULATOR_HOST. */
  readonly host: string;
}

export async function startPubSubEmulator(): Promise<PubSubEmulator> {
  const launcher = pubsubEmulatorPath();
  if (!launcher) throw new Error('Pub/Sub emulator not found (gcloud SDK platform/pubsub-emulator)');
  const peer = await startPeer({
    name: 'pubsub-emulator',
    command: launcher,
    args: (port) => ['--host=127.0.0.1', `--port=${port}`],
    readyPath: '/',
    readyTimeoutMs: 60_000,
  });
  return {
    ...peer,
    host: `127.0.0.1:${peer.port}`,
    stop: async () => {
      await peer.stop();
      if (alive(peer.pid)) throw new Error(`Pub/Sub emulator (java, pid ${peer.pid}) survived stop()`);
    },
  };
}
