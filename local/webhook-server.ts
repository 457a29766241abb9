// The embedded default's webhook endpoint: the webhook function served over HTTPS on 127.0.0.1 with a certificate
// from its own CA, so the API server can call it with the caBundle the operator registers.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { infrastructureContext } from '../functions/webhooks/context.ts';
import { webhookHttpHandler } from '../functions/webhooks/http.ts';
import { webhookTokens } from '../functions/webhooks/token.ts';
import type { KubeClient } from '../shared/kube/client.ts';
import type { Logger } from '../shared/runtime/logger.ts';
import { createCa, issueServerCert } from './apiserver/tls.ts';

export interface WebhookServerOptions {
  /** Client the webhook reads Infrastructure/cluster and the accepted tokens (the operator's Secret) with. */
  kube: KubeClient;
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  log?: Logger;
  /**
   * Serving material to reuse (the embedded default keeps it in its data folder, so webhook configurations a
   * previous run registered stay valid); absent: a fresh CA and certificate.
   */
  tls?: WebhookTls;
}

export interface WebhookTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface WebhookServer {
  /** Base URL, e.g. `https://127.0.0.1:40123`; the webhooks answer at `/<token>/mutate` and `/<token>/validate`. */
  url: string;
  /** PEM of the CA that signed the serving certificate (the webhook configurations' caBundle). */
  caPem: string;
  /** The serving material, to persist and pass back as `tls` next time. */
  tls: WebhookTls;
  stop(): Promise<void>;
}

export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const host = o.host ?? '127.0.0.1';
  let tls = o.tls;
  if (!tls) {
    const ca = await createCa('capi-fn-webhook-ca');
    const serving = await issueServerCert(ca, [...new Set([host, '127.0.0.1', 'localhost'])], 'capi-fn-webhook');
    tls = { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
  }
  const server: Server = createServer(
    { cert: tls.certPem, key: tls.keyPem },
    webhookHttpHandler({
      context: infrastructureContext(o.kube),
      // The same check as the deployed function: only the token the operator registered gets through.
      tokens: webhookTokens(o.kube),
      ...(o.log ? { log: o.log } : {}),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    caPem: tls.caPem,
    tls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
