// Bearer-token authentication (the only credential the embedded server issues).
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

let expected: { token: string; bytes: Buffer } | undefined;

export function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  // The server's token is the same on every request: encoded once, not per request.
  if (expected?.token !== token) expected = { token, bytes: Buffer.from(token) };
  const b = expected.bytes;
  return a.length === b.length && timingSafeEqual(a, b);
}
