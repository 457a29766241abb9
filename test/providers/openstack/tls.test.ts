// A cloud's TLS settings reach the wire: against an HTTPS endpoint with a private CA (the embedded API server
// stands in for Keystone), the default trust refuses it with a classified, actionable error; the clouds.yaml
// `cacert` (or the Secret's `cacert` key) and `verify: false` each get through to the HTTP answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenStackApi } from '../../../functions/providers/openstack/api.ts';
import { OpenStackApiError, OpenStackRest } from '../../../functions/providers/openstack/client.ts';
import { cloudFromYaml } from '../../../functions/providers/openstack/clouds.ts';
import { classifyOpenStackError } from '../../../functions/providers/openstack/errors.ts';
import { type ApiServer, startApiServer } from '../../../local/apiserver/index.ts';

describe('TLS: cacert and verify', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({});
  });
  afterAll(async () => {
    await api?.stop();
  });
  const yaml = (extra: string) =>
    `clouds:\n  c:\n    auth:\n      auth_url: ${api.url}/v3\n      username: u\n      password: p\n      project_name: x\n      user_domain_name: Default\n${extra}`;
  const attempt = (cloud: ReturnType<typeof cloudFromYaml>) =>
    new OpenStackApi(new OpenStackRest({ maxAttempts: 1 }), cloud).listFlavors().catch((e: unknown) => e);

  it('the default trust refuses a private CA, with what to do', async () => {
    const e = await attempt(cloudFromYaml(yaml(''), 'c'));
    expect(classifyOpenStackError(e)).toMatchObject({ class: 'auth', message: expect.stringContaining('cacert') });
  });
  it('cacert (from the Secret) and verify: false reach the server', async () => {
    for (const cloud of [
      cloudFromYaml(yaml(''), 'c', { caCert: api.caPem }),
      cloudFromYaml(yaml('    verify: false\n'), 'c'),
    ]) {
      const e = await attempt(cloud);
      // The API server is not Keystone: an HTTP answer proves the TLS handshake passed.
      expect(e).toBeInstanceOf(OpenStackApiError);
    }
  });
});
