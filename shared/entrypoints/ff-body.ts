// The body of a request the functions-framework served, as it arrived: its raw bytes when the framework kept
// them, else what its body parser made of them turned back into text (an empty parse is an empty body).
import type * as ff from '@google-cloud/functions-framework';

export function rawBodyOf(req: ff.Request): string | Buffer {
  if (req.rawBody) return req.rawBody;
  const b: unknown = req.body;
  if (typeof b === 'string' || Buffer.isBuffer(b)) return b;
  return b === undefined || (typeof b === 'object' && b !== null && Object.keys(b).length === 0)
    ? ''
    : JSON.stringify(b);
}

export function rawTextOf(req: ff.Request): string {
  const b = rawBodyOf(req);
  return typeof b === 'string' ? b : b.toString('utf8');
}
