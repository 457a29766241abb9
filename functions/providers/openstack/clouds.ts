// Which OpenStack cloud a call goes to and how it authenticates (reference §1.1): a `clouds.yaml` entry (from the
// Secret the OpenStackCluster's identityRef names, key `clouds.yaml`, optional key `cacert`; or the process's
// OS_CLIENT_CONFIG_FILE / ./clouds.yaml / ~/.config/openstack/clouds.yaml / /etc/openstack/clouds.yaml chosen by
// OS_CLOUD), or the standard OS_* variables. Pure: reading files is the caller's business.
import { createHash } from 'node:crypto';
import { readYaml } from '../../../shared/text/yaml.ts';

export type AuthType = 'password' | 'v3applicationcredential' | 'token';

export interface CloudConfig {
  /** The clouds.yaml entry's name (messages only). */
  name: string;
  authUrl: string;
  authType: AuthType;
  username?: string | undefined;
  userId?: string | undefined;
  password?: string | undefined;
  projectName?: string | undefined;
  projectId?: string | undefined;
  userDomainName?: string | undefined;
  userDomainId?: string | undefined;
  projectDomainName?: string | undefined;
  projectDomainId?: string | undefined;
  applicationCredentialId?: string | undefined;
  applicationCredentialName?: string | undefined;
  applicationCredentialSecret?: string | undefined;
  token?: string | undefined;
  region?: string | undefined;
  /** The catalog interface: public (default), internal or admin. */
  interface: 'public' | 'internal' | 'admin';
  /** False: TLS certificates are not checked (`verify: false`). */
  verify: boolean;
  /** A PEM CA bundle replacing the default trust (`cacert`, or the Secret's `cacert` key). */
  caCert?: string | undefined;
}

type Rec = Record<string, unknown>;

const s = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

function authTypeOf(raw: string | undefined, auth: Rec): AuthType {
  switch (raw) {
    case undefined:
    case '':
      if (auth.application_credential_secret) return 'v3applicationcredential';
      return auth.token && !auth.password ? 'token' : 'password';
    case 'password':
    case 'v3password':
      return 'password';
    case 'v3applicationcredential':
    case 'applicationcredential':
      return 'v3applicationcredential';
    case 'token':
    case 'v3token':
      return 'token';
    default:
      throw new CloudConfigError(`auth_type ${raw} is not supported (password, v3applicationcredential or token)`);
  }
}

export class CloudConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudConfigError';
  }
}

function interfaceOf(v: unknown): CloudConfig['interface'] {
  const i = (s(v) ?? 'public').replace(/URL$/, '');
  if (i === 'public' || i === 'internal' || i === 'admin') return i;
  throw new CloudConfigError(`interface ${String(v)} is not public, internal or admin`);
}

/** One entry of a clouds.yaml; `region` (identityRef.region) beats the file's `region_name`. */
export function cloudFromYaml(
  text: string,
  cloudName: string,
  o: { region?: string | undefined; caCert?: string | undefined } = {},
): CloudConfig {
  let doc: Rec;
  try {
    doc = (readYaml(text) ?? {}) as Rec;
  } catch (e) {
    throw new CloudConfigError(`clouds.yaml is not valid YAML: ${(e as Error).message}`);
  }
  const clouds = (doc.clouds ?? {}) as Rec;
  const c = clouds[cloudName] as Rec | undefined;
  if (!c) {
    const names = Object.keys(clouds);
    throw new CloudConfigError(
      `clouds.yaml has no cloud "${cloudName}"${names.length ? ` (it has ${names.join(', ')})` : ''}`,
    );
  }
  const auth = (c.auth ?? {}) as Rec;
  const authUrl = s(auth.auth_url);
  if (!authUrl) throw new CloudConfigError(`cloud "${cloudName}" has no auth.auth_url`);
  const regions = c.regions as unknown[] | undefined;
  const firstRegion = Array.isArray(regions) ? (s(regions[0]) ?? s((regions[0] as Rec | undefined)?.name)) : undefined;
  const verify = !(c.verify === false || c.verify === 'false' || c.insecure === true);
  return {
    name: cloudName,
    authUrl,
    authType: authTypeOf(s(c.auth_type), auth),
    username: s(auth.username),
    userId: s(auth.user_id),
    password: s(auth.password),
    projectName: s(auth.project_name) ?? s(auth.tenant_name),
    projectId: s(auth.project_id) ?? s(auth.tenant_id),
    userDomainName: s(auth.user_domain_name) ?? s(auth.domain_name),
    userDomainId: s(auth.user_domain_id) ?? s(auth.domain_id),
    projectDomainName: s(auth.project_domain_name) ?? s(auth.domain_name),
    projectDomainId: s(auth.project_domain_id) ?? s(auth.domain_id),
    applicationCredentialId: s(auth.application_credential_id),
    applicationCredentialName: s(auth.application_credential_name),
    applicationCredentialSecret: s(auth.application_credential_secret),
    token: s(auth.token),
    region: o.region || s(c.region_name) || firstRegion,
    interface: interfaceOf(c.interface ?? c.endpoint_type),
    verify,
    caCert: o.caCert ?? s(c.cacert_data),
  };
}

/** The cloud the standard OS_* variables describe (no OS_CLOUD), or undefined when OS_AUTH_URL is unset. */
export function cloudFromEnv(env: NodeJS.ProcessEnv): CloudConfig | undefined {
  const authUrl = env.OS_AUTH_URL;
  if (!authUrl) return undefined;
  const auth: Rec = {
    application_credential_secret: env.OS_APPLICATION_CREDENTIAL_SECRET,
    token: env.OS_TOKEN,
    password: env.OS_PASSWORD,
  };
  return {
    name: 'OS_* environment',
    authUrl,
    authType: authTypeOf(env.OS_AUTH_TYPE, auth),
    username: env.OS_USERNAME || undefined,
    userId: env.OS_USER_ID || undefined,
    password: env.OS_PASSWORD || undefined,
    projectName: env.OS_PROJECT_NAME || env.OS_TENANT_NAME || undefined,
    projectId: env.OS_PROJECT_ID || env.OS_TENANT_ID || undefined,
    userDomainName: env.OS_USER_DOMAIN_NAME || env.OS_DOMAIN_NAME || undefined,
    userDomainId: env.OS_USER_DOMAIN_ID || env.OS_DOMAIN_ID || undefined,
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME || env.OS_DOMAIN_NAME || undefined,
    projectDomainId: env.OS_PROJECT_DOMAIN_ID || env.OS_DOMAIN_ID || undefined,
    applicationCredentialId: env.OS_APPLICATION_CREDENTIAL_ID || undefined,
    applicationCredentialName: env.OS_APPLICATION_CREDENTIAL_NAME || undefined,
    applicationCredentialSecret: env.OS_APPLICATION_CREDENTIAL_SECRET || undefined,
    token: env.OS_TOKEN || undefined,
    region: env.OS_REGION_NAME || undefined,
    interface: interfaceOf(env.OS_INTERFACE ?? env.OS_ENDPOINT_TYPE),
    verify: env.OS_INSECURE !== 'true' && env.OS_INSECURE !== '1',
    caCert: undefined,
  };
}

/** Where openstacksdk looks for clouds.yaml, in its order. */
export function cloudsYamlPaths(env: NodeJS.ProcessEnv, home: string, cwd: string): string[] {
  return [
    ...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []),
    `${cwd}/clouds.yaml`,
    `${home}/.config/openstack/clouds.yaml`,
    '/etc/openstack/clouds.yaml',
  ];
}

/** A key for token caching: who authenticates where (never the secret itself in clear). */
export function cloudKey(c: CloudConfig): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        c.authUrl,
        c.authType,
        c.username,
        c.userId,
        c.password,
        c.projectName,
        c.projectId,
        c.userDomainName,
        c.userDomainId,
        c.projectDomainName,
        c.projectDomainId,
        c.applicationCredentialId,
        c.applicationCredentialName,
        c.applicationCredentialSecret,
        c.token,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
}

/** What is missing for this auth type, in words (undefined: complete). */
export function incompleteAuth(c: CloudConfig): string | undefined {
  switch (c.authType) {
    case 'password':
      if (!c.password) return `cloud "${c.name}": password auth needs auth.password`;
      if (!c.username && !c.userId) return `cloud "${c.name}": password auth needs auth.username or auth.user_id`;
      if (c.username && !c.userDomainName && !c.userDomainId)
        return `cloud "${c.name}": auth.username needs auth.user_domain_name or user_domain_id`;
      return undefined;
    case 'v3applicationcredential':
      if (!c.applicationCredentialSecret)
        return `cloud "${c.name}": application credential auth needs auth.application_credential_secret`;
      if (!c.applicationCredentialId && !c.applicationCredentialName)
        return `cloud "${c.name}": application credential auth needs auth.application_credential_id (or _name with the user)`;
      return undefined;
    case 'token':
      return c.token ? undefined : `cloud "${c.name}": token auth needs auth.token`;
  }
}

/** The Keystone v3 `POST /auth/tokens` body for this cloud (reference §1.1). */
export function tokenRequest(c: CloudConfig): Rec {
  const domain = (name: string | undefined, id: string | undefined) => (id ? { id } : { name: name ?? 'Default' });
  if (c.authType === 'v3applicationcredential') {
    const ac: Rec = { secret: c.applicationCredentialSecret };
    if (c.applicationCredentialId) ac.id = c.applicationCredentialId;
    else {
      ac.name = c.applicationCredentialName;
      ac.user = c.userId ? { id: c.userId } : { name: c.username, domain: domain(c.userDomainName, c.userDomainId) };
    }
    return { auth: { identity: { methods: ['application_credential'], application_credential: ac } } };
  }
  const identity =
    c.authType === 'token'
      ? { methods: ['token'], token: { id: c.token } }
      : {
          methods: ['password'],
          password: {
            user: c.userId
              ? { id: c.userId, password: c.password }
              : { name: c.username, domain: domain(c.userDomainName, c.userDomainId), password: c.password },
          },
        };
  const project = c.projectId
    ? { id: c.projectId }
    : c.projectName
      ? { name: c.projectName, domain: domain(c.projectDomainName, c.projectDomainId) }
      : undefined;
  return { auth: { identity, ...(project ? { scope: { project } } : {}) } };
}
