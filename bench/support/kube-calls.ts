// Call accounting for benchmarks: a Transport wrapper that counts every request by caller and by
// operation (`LIST machines`, `PUT machines/status`, ...), with response bytes, time and status codes.
import type { KubeRequest, KubeResponse, KubeStream, Transport } from '../../shared/kube/transport.ts';

export interface OpFigures {
  calls: number;
  /** Responses with status ≥ 400 (409 conflicts and 404s included). */
  failed: number;
  conflicts: number;
  responseBytes: number;
  ms: number;
}

export const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `LIST machines`, `GET nodes`, `PUT machines/status`, `POST localmachines`... from method and path. */
export function operationOf(method: string, path: string): string {
  const segs = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/... or /apis/group/version/...
  let rest = segs[0] === 'api' ? segs.slice(2) : segs.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const resource = rest[0] ?? '(root)';
  const sub = rest.length >= 3 ? `/${rest.slice(2).join('/')}` : '';
  if (method === 'GET') {
    if (/[?&]watch=(true|1)/.test(path)) return `WATCH ${resource}`;
    return rest.length <= 1 ? `LIST ${resource}` : `GET ${resource}${sub}`;
  }
  return `${method} ${resource}${sub}`;
}

export class CallLedger {
  /** caller → operation → figures */
  readonly byCaller = new Map<string, Map<string, OpFigures>>();

  transport(inner: Transport, caller: string): Transport {
    const ledger = this;
    return {
      server: inner.server,
      namespace: inner.namespace,
      async request(req: KubeRequest): Promise<KubeResponse> {
        const t0 = performance.now();
        let res: KubeResponse | undefined;
        try {
          res = await inner.request(req);
          return res;
        } finally {
          ledger.record(caller, operationOf(req.method, req.path), performance.now() - t0, res);
        }
      },
      stream(req: KubeRequest): Promise<KubeStream> {
        ledger.record(caller, operationOf(req.method, req.path), 0, undefined);
        return inner.stream(req);
      },
    };
  }

  private record(caller: string, op: string, ms: number, res: KubeResponse | undefined): void {
    let ops = this.byCaller.get(caller);
    if (!ops) {
      ops = new Map();
      this.byCaller.set(caller, ops);
    }
    let f = ops.get(op);
    if (!f) {
      f = { calls: 0, failed: 0, conflicts: 0, responseBytes: 0, ms: 0 };
      ops.set(op, f);
    }
    f.calls++;
    f.ms += ms;
    if (res) {
      f.responseBytes += res.body.length;
      if (res.status >= 400) f.failed++;
      if (res.status === 409) f.conflicts++;
    }
  }

  /** A deep copy, to diff phases. */
  snapshot(): Map<string, Map<string, OpFigures>> {
    return new Map([...this.byCaller].map(([c, ops]) => [c, new Map([...ops].map(([o, f]) => [o, { ...f }]))]));
  }

  /** Figures since `before` (a snapshot). */
  since(before: Map<string, Map<string, OpFigures>>): Map<string, Map<string, OpFigures>> {
    const out = new Map<string, Map<string, OpFigures>>();
    for (const [caller, ops] of this.byCaller) {
      const diff = new Map<string, OpFigures>();
      for (const [op, f] of ops) {
        const b = before.get(caller)?.get(op);
        const d: OpFigures = {
          calls: f.calls - (b?.calls ?? 0),
          failed: f.failed - (b?.failed ?? 0),
          conflicts: f.conflicts - (b?.conflicts ?? 0),
          responseBytes: f.responseBytes - (b?.responseBytes ?? 0),
          ms: f.ms - (b?.ms ?? 0),
        };
        if (d.calls > 0) diff.set(op, d);
      }
      if (diff.size > 0) out.set(caller, diff);
    }
    return out;
  }
}

/** Successful mutating requests (what changed the cluster), per caller. */
export function writesByCaller(figs: Map<string, Map<string, OpFigures>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [caller, ops] of figs) {
    let n = 0;
    for (const [op, f] of ops) if (MUTATING.has(op.split(' ')[0]!)) n += f.calls - f.failed;
    out.set(caller, n);
  }
  return out;
}
