// Azurite's queue service from node_modules (always available). --disableTelemetry matters: without it
// Azurite tries to reach Application Insights on the internet.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type RunningPeer, startPeer } from './spawn-peer.ts';

export interface Azurite extends RunningPeer {
  readonly connectionString: string;
}

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function startAzurite(): Promise<Azurite> {
  const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
  const main = join(dirname(pkg), 'dist/src/queue/main.js');
  const peer = await startPeer({
    name: 'azurite-queue',
    command: process.execPath,
    args: (port) => [
      main,
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(port),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--silent',
    ],
    readyPath: `/${ACCOUNT}?comp=list`,
  });
  return {
    ...peer,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};QueueEndpoint=http://127.0.0.1:${peer.port}/${ACCOUNT};`,
  };
}
