// The embedded API server (with the benchmark's Widget CRD) in a process of its own, for bench/apiserver.ts's
// "own process" figure: the server then has a core to itself instead of sharing one event loop with its client.
// Usage: node bench/support/apiserver-process.ts [DATA_DIR]; prints {url, token, caPem} as one JSON line.
import { startApiServer } from '../../local/apiserver/index.ts';
import { widgetCrd } from '../../test/apiserver/helpers.ts';

const dataDir = process.argv[2];
const api = await startApiServer({ crds: [widgetCrd()], ...(dataDir ? { dataDir } : {}) });
process.stdout.write(`${JSON.stringify({ url: api.url, token: api.token, caPem: api.caPem })}\n`);
process.on('SIGTERM', () => void api.stop().then(() => process.exit(0)));
