import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, redactSecrets } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const log = createLogger({
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  return { log, text: () => lines.join('') };
}

const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----';

describe('log redaction', () => {
  it.each([
    ['a kubeconfig token line quoted by the yaml parser', '    token: sha256~TOPSECRET: x\n     ^', 'TOPSECRET'],
    ['client-key-data', 'client-key-data: LS0tLS1CRUdJTiBSU0E=', 'LS0tLS1CRUdJTiBSU0E'],
    ['a password in JSON', '{"user":"a","password":"hunter2"}', 'hunter2'],
    ['a bearer header', 'authorization: Bearer abc.def.ghi', 'abc.def'],
    ['a ServiceAccount JWT on its own', 'got eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln back', 'eyJhbGciOiJSUzI1NiJ9'],
    ['a PEM private key', `key follows ${PEM}`, 'secretkeymaterial'],
  ])('%s', (_what, text, secret) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('leaves ordinary text alone', () => {
    const t = 'MachineSet openshift-cluster-api/workers: spec.replicas must be >= 0 (tokenRequest disabled)';
    expect(redactSecrets(t)).toBe(t);
  });

  it('every log line is redacted: errors, secret-named keys, child bindings and the message', async () => {
    const { log, text } = capture();
    log
      .child({ user: { token: 'child-secret' } })
      .error(
        { err: new Error('at line 9:\n    token: sha256~TOPSECRET: x'), creds: { password: 'hunter2', name: 'ok' } },
        'failed with Bearer abcdef',
      );
    await new Promise((r) => setImmediate(r));
    const out = text();
    for (const secret of ['child-secret', 'TOPSECRET', 'hunter2', 'abcdef']) expect(out).not.toContain(secret);
    const line = JSON.parse(out);
    expect(line.err).toMatchObject({ type: 'Error', message: `at line 9:\n    token: ${REDACTED}` });
    expect(line.creds).toEqual({ password: REDACTED, name: 'ok' });
    expect(line.msg).toBe(`failed with Bearer ${REDACTED}`);
  });
});
