// moto_server (Python moto) as AWS EventBridge + SQS (and EC2) on a free local port.
import { type RunningPeer, startPeer } from './spawn-peer.ts';

export interface Moto extends RunningPeer {
  readonly endpoint: string;
  /** Wipes all moto state (POST /moto-api/reset). */
  reset(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const peer = await startPeer({
    name: 'moto_server',
    command: 'moto_server',
    args: (port) => ['-H', '127.0.0.1', '-p', String(port)],
    readyPath: '/moto-api/',
  });
  const endpoint = `http://127.0.0.1:${peer.port}`;
  return {
    ...peer,
    endpoint,
    reset: async () => {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset: HTTP ${res.status}`);
    },
  };
}

/** The standard SDK environment that points every AWS client at moto (nothing project-specific). */
export function motoEnv(moto: Moto): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}
