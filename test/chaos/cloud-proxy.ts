// A fault-injecting proxy between a provider and its cloud's peer (moto for EC2, the emulators, vcsim): plain HTTP in
// and out, or HTTPS in and out for the peers that only speak TLS (the ARM emulator, vcsim): the proxy then serves its
// own certificate (its CA is `caPem`, for the provider's client to trust) and checks the peer's with `upstreamCa`
// (or not at all when the peer's certificate is a throwaway one nobody can pin, as vcsim's). At `rate`, a request meets one fault, chosen by a seeded generator so a failing run replays from its seed:
//   throttle     the cloud's throttling answer (EC2: 503 RequestLimitExceeded; Google: 429 rateLimitExceeded;
//                OpenStack and ARM: 429 with Retry-After; vCenter: its reverse proxy's 503), nothing done
//   unavailable  the cloud's internal error (EC2: 500 InternalError; Google: 503 UNAVAILABLE; OpenStack: 503;
//                ARM: 500 InternalServerError; vSphere: a SOAP SystemError fault), nothing done
//   reset        the connection reset before the request is sent (nothing done)
//   reset-after  the request is done upstream, then the connection is reset before the answer (a lost reply: the
//                create that happened but was never confirmed, which idempotency tokens exist for)
//   latency      100–500 ms added
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, request as tlsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createCa, issueServerCert } from '../../local/apiserver/tls.ts';
import { seededRandom } from '../../shared/bus/random.ts';

export type CloudFault = 'throttle' | 'unavailable' | 'reset' | 'reset-after' | 'latency';
export type CloudDialect = 'aws-ec2' | 'gce' | 'openstack' | 'arm' | 'vsphere-soap';

export interface CloudChaosProxy {
  readonly url: string;
  /** The CA of the proxy's serving certificate, when it serves HTTPS. */
  readonly caPem?: string;
  readonly injected: Map<CloudFault, number>;
  /** Faults by the request that met them (`POST Action=RunInstances`, `GET /compute/v1/...`). */
  readonly byCall: Map<string, number>;
  readonly requests: { total: number };
  rate: number;
  close(): Promise<void>;
}

const FAULTS: CloudFault[] = ['throttle', 'unavailable', 'reset', 'reset-after', 'latency'];

function errorAnswer(
  dialect: CloudDialect,
  fault: 'throttle' | 'unavailable',
): { status: number; headers: Record<string, string>; body: string } {
  switch (dialect) {
    case 'aws-ec2': {
      const [status, code, message] =
        fault === 'throttle'
          ? [503, 'RequestLimitExceeded', 'Request limit exceeded.']
          : [500, 'InternalError', 'An internal error has occurred'];
      return {
        status,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>chaos-${Date.now()}</RequestID></Response>`,
      };
    }
    case 'gce': {
      const [status, reason, st] =
        fault === 'throttle' ? [429, 'rateLimitExceeded', 'RESOURCE_EXHAUSTED'] : [503, 'backendError', 'UNAVAILABLE'];
      return {
        status,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({
          error: {
            code: status,
            message: `chaos: ${reason}`,
            status: st,
            errors: [{ reason, message: `chaos: ${reason}`, domain: 'global' }],
          },
        }),
      };
    }
    case 'openstack':
      return fault === 'throttle'
        ? {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '1' },
            body: JSON.stringify({ overLimit: { code: 429, message: 'chaos: over limit' } }),
          }
        : {
            status: 503,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: 'chaos: service unavailable' }),
          };
    case 'arm':
      return fault === 'throttle'
        ? {
            status: 429,
            headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' },
            body: JSON.stringify({
              error: { code: 'TooManyRequests', message: 'chaos: the request is being throttled.' },
            }),
          }
        : {
            status: 500,
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body: JSON.stringify({
              error: { code: 'InternalServerError', message: 'chaos: an internal server error occurred.' },
            }),
          };
    case 'vsphere-soap':
      // vCenter's reverse proxy sheds load with a bare 503; vpxd's own failures are SOAP faults with a 500.
      return fault === 'throttle'
        ? { status: 503, headers: { 'content-type': 'text/plain' }, body: 'Service Unavailable' }
        : {
            status: 500,
            headers: { 'content-type': 'text/xml; charset=utf-8' },
            body:
              '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>' +
              '<faultcode>ServerFaultCode</faultcode><faultstring>A general system error occurred: chaos</faultstring>' +
              '<detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>chaos</reason></SystemErrorFault></detail>' +
              '</soapenv:Fault></soapenv:Body></soapenv:Envelope>',
          };
  }
}

/**
 * What a request is, for the per-call counts: EC2's Action from the form body, a SOAP request's operation (the first
 * element in its Body), else the method and path.
 */
function callOf(req: IncomingMessage, body: Buffer): string {
  const text = body.toString('utf8');
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(text)?.[1];
  if (action) return action;
  const soap = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?([A-Za-z_]+)/.exec(text)?.[1];
  if (soap) return soap;
  return `${req.method} ${(req.url ?? '/').split('?')[0]!.replace(/\/[0-9a-f-]{8,}(?=\/|$)/g, '/<id>')}`;
}

export async function startCloudChaosProxy(o: {
  upstream: string;
  seed: number;
  rate?: number;
  dialect: CloudDialect;
  /** Faults that must happen whatever the dice say: the first request of each call (prefix match) meets its fault. */
  script?: Array<{ call: string; fault: CloudFault }>;
  /**
   * Forward the client's Host: peers that build their links from it (the GCE emulator's selfLinks, Keystone's
   * catalog) then point the provider back at the proxy, so every later call meets the faults too.
   */
  preserveHost?: boolean;
  /** Serve and forward HTTPS; `upstreamCa` verifies the peer (absent: the peer's certificate is not checked). */
  tls?: { upstreamCa?: string };
}): Promise<CloudChaosProxy> {
  const script = [...(o.script ?? [])];
  const random = seededRandom(o.seed);
  const upstream = new URL(o.upstream);
  const injected = new Map<CloudFault, number>();
  const byCall = new Map<string, number>();
  const sockets = new Set<Socket>();
  const proxy: CloudChaosProxy = {
    url: '',
    injected,
    byCall,
    requests: { total: 0 },
    rate: o.rate ?? 0.2,
    close: async () => {},
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse | undefined, after?: () => void) =>
    new Promise<void>((resolve) => {
      const up = (o.tls ? tlsRequest : request)(
        {
          ...(o.tls ? (o.tls.upstreamCa ? { ca: o.tls.upstreamCa } : { rejectUnauthorized: false }) : {}),
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: o.preserveHost ? req.headers : { ...req.headers, host: upstream.host },
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            if (after) after();
            else res!.writeHead(r.statusCode ?? 502, r.headers).end(Buffer.concat(chunks));
            resolve();
          });
        },
      );
      up.on('error', () => {
        res?.destroy();
        resolve();
      });
      up.end(body);
    });

  const serving = o.tls
    ? await (async () => {
        const ca = await createCa('capi-fn-cloud-chaos-proxy-ca');
        return { ca: ca.certPem, cert: await issueServerCert(ca, ['127.0.0.1', 'localhost'], 'capi-fn-chaos-proxy') };
      })()
    : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      proxy.requests.total++;
      const scripted = script.findIndex((x) => callOf(req, body).startsWith(x.call));
      let fault: CloudFault;
      if (scripted >= 0 && proxy.rate > 0) fault = script.splice(scripted, 1)[0]!.fault;
      else if (random() >= proxy.rate) return forward(req, body, res);
      else fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
      injected.set(fault, (injected.get(fault) ?? 0) + 1);
      const call = `${callOf(req, body)} ${fault}`;
      byCall.set(call, (byCall.get(call) ?? 0) + 1);
      switch (fault) {
        case 'throttle':
        case 'unavailable': {
          const a = errorAnswer(o.dialect, fault);
          res.writeHead(a.status, a.headers).end(a.body);
          return;
        }
        case 'reset':
          req.socket.destroy();
          return;
        case 'reset-after':
          return forward(req, body, undefined, () => req.socket.destroy());
        case 'latency':
          await new Promise((r) => setTimeout(r, 100 + Math.floor(random() * 400)));
          return forward(req, body, res);
      }
    });
  };
  const server: Server = serving
    ? (createTlsServer({ cert: serving.cert.certPem, key: serving.cert.keyPem }, onRequest) as unknown as Server)
    : createServer(onRequest);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (proxy as { url: string }).url =
    `${serving ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (serving) (proxy as { caPem?: string }).caPem = serving.ca;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return proxy;
}
