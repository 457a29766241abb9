// The embedded API server with every capi-fn CRD on a data directory, in its own process, so the chaos scenario can
// SIGKILL it and start it again on the same directory (same objects, CA and token). Prints its address as JSON.
import { startApiServer } from '../../local/apiserver/index.ts';
import { allCrds } from '../support/env.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: server-process.ts DATA_DIR');
const api = await startApiServer({ dataDir, crds: allCrds() });
process.stdout.write(`${JSON.stringify({ url: api.url, token: api.token, caPem: api.caPem })}\n`);
