// CAPZ's default for an AzureMachine without `sshPublicKey`: a fresh RSA key whose private half is thrown away
// (Azure's Linux VMs with password login disabled need some key; the machine is reached through the cluster, not
// SSH). The public half in OpenSSH's `ssh-rsa <base64>` form, and base64 of that line as the spec carries it.
import { generateKeyPairSync } from 'node:crypto';

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An SSH mpint: big-endian, with a leading zero byte when the high bit is set. */
function mpint(b64url: string): Buffer {
  const b = Buffer.from(b64url, 'base64url');
  return b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
}

/** A new RSA public key as an OpenSSH line (`ssh-rsa AAAA… comment`). */
export function newSshPublicKeyLine(comment = 'capi-fn'): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), sshString(mpint(jwk.e)), sshString(mpint(jwk.n))]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

/** The webhook's default: base64 of a new key line, as CAPZ sets it. */
export function defaultSshPublicKey(spec: Record<string, unknown>): void {
  if (typeof spec.sshPublicKey !== 'string' || spec.sshPublicKey === '')
    spec.sshPublicKey = Buffer.from(newSshPublicKeyLine()).toString('base64');
}
