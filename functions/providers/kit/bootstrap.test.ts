import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { readBootstrapData } from './bootstrap.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeWith(secret: Record<string, unknown> | undefined): KubeClient {
  return { find: async () => secret } as unknown as KubeClient;
}

describe('readBootstrapData', () => {
  it('reads the bytes under "value" and the format', async () => {
    const r = await readBootstrapData(
      kubeWith({ data: { value: b64('{"ignition":{}}'), format: b64('ignition\n') } }),
      'ns',
      's',
    );
    expect(r).toEqual({
      ok: true,
      data: { secretName: 's', value: Buffer.from('{"ignition":{}}'), format: 'ignition' },
    });
  });

  it('accepts a Machine API user-data Secret (bytes under "userData", no format)', async () => {
    const r = await readBootstrapData(
      kubeWith({ data: { userData: b64('{"ignition":{}}'), disableTemplating: b64('true') } }),
      'ns',
      'worker-user-data-managed',
    );
    expect(r.ok && r.data.value.toString()).toBe('{"ignition":{}}');
    expect(r.ok && r.data.format).toBe('');
  });

  it('waits for a missing Secret and names a Secret without either key as invalid', async () => {
    expect(await readBootstrapData(kubeWith(undefined), 'ns', 's')).toMatchObject({
      ok: false,
      reason: 'WaitingForBootstrapData',
    });
    expect(await readBootstrapData(kubeWith({ data: { other: b64('x') } }), 'ns', 's')).toMatchObject({
      ok: false,
      reason: 'BootstrapDataInvalid',
      message: expect.stringContaining('"value"'),
    });
  });
});
