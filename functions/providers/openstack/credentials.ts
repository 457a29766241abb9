// Which credentials an OpenStack reconcile uses (reference §1.1): the Secret the OpenStackMachine's or the
// OpenStackCluster's identityRef names (OpenShift: `openstack-cloud-credentials`, key `clouds.yaml`, optional
// `cacert`), cloud `identityRef.cloudName`; else the process's own cloud (OS_CLOUD + clouds.yaml, or OS_*). The
// secret never leaves the transport: it is neither logged nor put on the bus.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { KubeObject } from '../../../shared/api/meta.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import { OpenStackApi } from './api.ts';
import type { OpenStackTransport } from './client.ts';
import { type CloudConfig, CloudConfigError, cloudFromEnv, cloudFromYaml, cloudsYamlPaths } from './clouds.ts';

/** What the handlers get as their "cloud client": the transport, and the cloud calls go to. */
export interface OpenStackClient {
  transport: OpenStackTransport;
  /** The process's cloud, or undefined (then every machine needs the Secret its identityRef names). */
  cloud: CloudConfig | undefined;
  /** Why the process has no cloud (a broken clouds.yaml), for the message when one is needed. */
  problem?: string | undefined;
}

interface IdentityRef {
  name: string;
  cloudName: string;
  region?: string | undefined;
}

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

/** The cloud OS_CLOUD names in the first clouds.yaml found, or the OS_* variables' cloud. */
export function processCloud(env: NodeJS.ProcessEnv = process.env): CloudConfig | undefined {
  if (env.OS_CLOUD) {
    const file = cloudsYamlPaths(env, homedir(), process.cwd()).find((p) => existsSync(p));
    if (!file)
      throw new CloudConfigError(`OS_CLOUD=${env.OS_CLOUD} but no clouds.yaml was found (set OS_CLIENT_CONFIG_FILE)`);
    return cloudFromYaml(readFileSync(file, 'utf8'), env.OS_CLOUD, { region: env.OS_REGION_NAME || undefined });
  }
  return cloudFromEnv(env);
}

/** The process's client: its cloud, or what is wrong with it (never a throw: that is each reconcile's condition). */
export function processClient(transport: OpenStackTransport, env: NodeJS.ProcessEnv): OpenStackClient {
  try {
    return { transport, cloud: processCloud(env) };
  } catch (e) {
    return { transport, cloud: undefined, problem: (e as Error).message };
  }
}

/** The one-cloud API of a client (the process's cloud). */
export function apiOf(c: OpenStackClient): OpenStackApi {
  if (!c.cloud)
    throw new CloudConfigError(
      c.problem ??
        'no OpenStack credentials: the identityRef Secret is missing and the process has neither OS_CLOUD nor OS_AUTH_URL',
    );
  return new OpenStackApi(c.transport, c.cloud);
}

/** The client bound to the credentials the identityRef names, when its Secret exists. */
export async function connectOpenStack(
  client: OpenStackClient,
  kube: KubeClient,
  namespace: string,
  ref: IdentityRef | undefined,
): Promise<OpenStackClient> {
  if (!ref?.name) return client;
  if (!ref.cloudName) throw new CloudConfigError(`identityRef ${ref.name} names no cloudName`);
  const secret = await kube.find<SecretLike>({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name });
  if (!secret) {
    if (client.cloud) return client;
    throw new CloudConfigError(`identityRef Secret ${namespace}/${ref.name} does not exist`);
  }
  const yaml = secret.data?.['clouds.yaml'];
  if (!yaml) throw new CloudConfigError(`identityRef Secret ${namespace}/${ref.name} has no clouds.yaml key`);
  const ca = secret.data?.cacert;
  return {
    transport: client.transport,
    cloud: cloudFromYaml(Buffer.from(yaml, 'base64').toString('utf8'), ref.cloudName, {
      region: ref.region,
      caCert: ca ? Buffer.from(ca, 'base64').toString('utf8') : undefined,
    }),
  };
}
