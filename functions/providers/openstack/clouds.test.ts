import { describe, expect, it } from 'vitest';
import { endpointFor, parseError, versionedRoot } from './client.ts';
import { cloudFromEnv, cloudFromYaml, cloudKey, incompleteAuth, tokenRequest } from './clouds.ts';

const YAML = `
clouds:
  openstack:
    auth:
      auth_url: https://keystone.example.com:13000
      username: ocp
      password: s3cret
      project_name: shiftstack
      user_domain_name: Default
      project_domain_name: Default
    region_name: regionOne
    interface: internal
    verify: false
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.com:13000/v3
      application_credential_id: ac1
      application_credential_secret: acs
`;

describe('clouds.yaml and OS_*', () => {
  it('a password cloud: names, region, interface, verify; identityRef.region wins', () => {
    const c = cloudFromYaml(YAML, 'openstack');
    expect(c).toMatchObject({
      authType: 'password',
      username: 'ocp',
      projectName: 'shiftstack',
      region: 'regionOne',
      interface: 'internal',
      verify: false,
    });
    expect(cloudFromYaml(YAML, 'openstack', { region: 'regionTwo', caCert: 'PEM' })).toMatchObject({
      region: 'regionTwo',
      caCert: 'PEM',
    });
    expect(tokenRequest(c)).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'ocp', domain: { name: 'Default' }, password: 's3cret' } },
        },
        scope: { project: { name: 'shiftstack', domain: { name: 'Default' } } },
      },
    });
  });

  it('an application credential: no scope', () => {
    const c = cloudFromYaml(YAML, 'appcred');
    expect(tokenRequest(c)).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 'acs' } } },
    });
    expect(incompleteAuth(c)).toBeUndefined();
  });

  it('a missing cloud names the ones there are; incomplete auth says what is missing', () => {
    expect(() => cloudFromYaml(YAML, 'nope')).toThrow('clouds.yaml has no cloud "nope" (it has openstack, appcred)');
    expect(incompleteAuth({ ...cloudFromYaml(YAML, 'openstack'), password: undefined })).toContain(
      'needs auth.password',
    );
  });

  it('OS_* variables', () => {
    const c = cloudFromEnv({
      OS_AUTH_URL: 'http://k/v3',
      OS_USERNAME: 'u',
      OS_PASSWORD: 'p',
      OS_PROJECT_NAME: 'x',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'R',
      OS_INTERFACE: 'internalURL',
    });
    expect(c).toMatchObject({ authType: 'password', region: 'R', interface: 'internal' });
    expect(cloudFromEnv({})).toBeUndefined();
    // The token cache key changes with the secret, and never contains it.
    expect(cloudKey(c!)).not.toBe(cloudKey({ ...c!, password: 'q' }));
    expect(cloudKey(c!)).not.toContain('p');
  });
});

describe('the catalog', () => {
  const catalog = [
    {
      type: 'volumev3',
      endpoints: [{ interface: 'public', region: 'R1', url: 'https://cinder:8776/v3/$(project_id)s' }],
    },
    {
      type: 'compute',
      endpoints: [
        { interface: 'public', region: 'R1', url: 'https://nova.r1:8774/v2.1' },
        { interface: 'internal', region: 'R1', url: 'http://nova.int:8774/v2.1' },
        { interface: 'public', region: 'R2', url: 'https://nova.r2:8774/v2.1' },
      ],
    },
    { type: 'network', endpoints: [{ interface: 'public', region_id: 'R1', url: 'https://neutron:9696' }] },
  ];
  it('type (or alias), interface and region pick the endpoint; roots get their version', () => {
    expect(endpointFor(catalog, 'compute', { interface: 'public', region: 'R2' })).toBe('https://nova.r2:8774/v2.1');
    expect(endpointFor(catalog, 'compute', { interface: 'internal', region: undefined })).toBe(
      'http://nova.int:8774/v2.1',
    );
    expect(endpointFor(catalog, 'network', { interface: 'public', region: 'R1' })).toBe('https://neutron:9696');
    expect(endpointFor(catalog, 'image', { interface: 'public', region: undefined })).toBeUndefined();
    expect(versionedRoot('network', 'https://neutron:9696', 'p')).toBe('https://neutron:9696/v2.0');
    expect(versionedRoot('image', 'https://glance:9292/', 'p')).toBe('https://glance:9292/v2');
    expect(
      versionedRoot(
        'block-storage',
        endpointFor(catalog, 'block-storage', { interface: 'public', region: 'R1' })!,
        'p1',
      ),
    ).toBe('https://cinder:8776/v3/p1');
  });
  it('error bodies: Nova’s fault key, Neutron’s type, Keystone’s error; Retry-After in seconds', () => {
    const r = (text: string, headers: Record<string, string> = {}) => ({ status: 413, headers, text });
    expect(
      parseError('compute', 'POST /servers', r('{"overLimit":{"code":413,"message":"slow down","retryAfter":"7"}}')),
    ).toMatchObject({ type: 'overLimit', message: 'slow down', retryAfterMs: 7000 });
    expect(
      parseError(
        'network',
        'POST /ports',
        r('{"NeutronError":{"type":"OverQuota","message":"Quota exceeded","detail":""}}'),
      ),
    ).toMatchObject({ type: 'OverQuota' });
    expect(
      parseError(
        'identity',
        'POST /auth/tokens',
        r('{"error":{"code":401,"title":"Unauthorized","message":"nope"}}', { 'retry-after': '2' }),
      ),
    ).toMatchObject({ message: 'nope', retryAfterMs: 2000 });
  });
});
