// A transport whose connection is made on first use: a function's credentials may have to be fetched
// (Secrets Manager) before the first request, while the handler runtime wants its client at once.
import type { KubeRequest, KubeResponse, KubeStream, Transport } from './transport.ts';

export class LazyTransport implements Transport {
  private inner: Promise<Transport> | undefined;
  private resolved: Transport | undefined;
  private readonly connect: () => Promise<Transport>;
  constructor(connect: () => Promise<Transport>) {
    this.connect = connect;
  }

  private get(): Promise<Transport> {
    if (!this.inner) {
      this.inner = this.connect().then(
        (t) => {
          this.resolved = t;
          return t;
        },
        (e: unknown) => {
          // A failed fetch is tried again by the next request (the next delivery's retry).
          this.inner = undefined;
          throw e;
        },
      );
    }
    return this.inner;
  }

  get server(): string {
    return this.resolved?.server ?? '(not connected yet)';
  }

  get namespace(): string {
    return this.resolved?.namespace ?? 'default';
  }

  async request(req: KubeRequest): Promise<KubeResponse> {
    return (await this.get()).request(req);
  }

  async stream(req: KubeRequest): Promise<KubeStream> {
    return (await this.get()).stream(req);
  }
}
