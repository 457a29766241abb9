// `capi-fn doctor` on OpenStack: the Keystone login and the catalog with the process's cloud (OS_CLOUD +
// clouds.yaml, or OS_*), then, for every OpenStackMachineTemplate in the cluster, that the image, flavor and
// networks it names exist (a filter that matches nothing, or several things, is a failure naming the field).

import type { OpenStackMachineTemplate } from '../../../shared/api/providers/openstack.ts';
import type { KubeClient } from '../../../shared/kube/client.ts';
import type { DoctorCheck } from '../kit/module.ts';
import { OpenStackApi } from './api.ts';
import { endpointFor, OpenStackRest, type ServiceType } from './client.ts';
import { type CloudConfig, CloudConfigError } from './clouds.ts';
import { processCloud } from './credentials.ts';
import { classifyOpenStackError } from './errors.ts';
import { resolveMachine } from './resolve.ts';

const NEEDED: ServiceType[] = ['compute', 'network', 'image'];

function cloudOrCheck(env: NodeJS.ProcessEnv): CloudConfig | DoctorCheck | undefined {
  try {
    return processCloud(env);
  } catch (e) {
    return {
      name: 'OpenStack credentials',
      status: 'fail',
      detail: (e as Error).message,
      fix: 'fix OS_CLOUD / OS_CLIENT_CONFIG_FILE',
    };
  }
}

export async function keystoneCheck(
  env: NodeJS.ProcessEnv,
  rest = new OpenStackRest({ maxAttempts: 1, timeoutMs: 5_000 }),
): Promise<DoctorCheck | undefined> {
  const cloud = cloudOrCheck(env);
  if (!cloud || 'status' in cloud) return cloud;
  try {
    const s = await rest.session(cloud);
    const missing = NEEDED.filter((t) => !endpointFor(s.catalog, t, cloud));
    if (missing.length)
      return {
        name: 'OpenStack catalog',
        status: 'fail',
        detail: `logged in to ${cloud.authUrl} (project ${s.projectName ?? s.projectId}), but the catalog has no ${missing.join(', ')} endpoint for interface ${cloud.interface}${cloud.region ? ` in region ${cloud.region}` : ''}`,
        fix: 'set interface / region_name in clouds.yaml to ones the catalog offers (openstack catalog list)',
      };
    return {
      name: 'OpenStack Keystone',
      status: 'ok',
      detail: `${cloud.authUrl}: logged in as ${cloud.username ?? cloud.userId ?? cloud.applicationCredentialId ?? 'token'} to project ${s.projectName ?? s.projectId}; catalog has compute, network, image${endpointFor(s.catalog, 'block-storage', cloud) ? ', block-storage' : ''}`,
    };
  } catch (e) {
    const c = classifyOpenStackError(e);
    return {
      name: 'OpenStack Keystone',
      status: 'fail',
      detail: `${cloud.authUrl} (cloud ${cloud.name}): ${c.code}: ${c.message}`,
      fix:
        c.class === 'auth'
          ? 'check the credentials in clouds.yaml (openstack --os-cloud <name> token issue)'
          : 'start the cloud or the emulator (npx capi-fn emulator openstack --clouds-yaml FILE) and point OS_CLOUD at it',
    };
  }
}

export async function templateChecks(
  env: NodeJS.ProcessEnv,
  kube: KubeClient,
  rest = new OpenStackRest({ maxAttempts: 1, timeoutMs: 5_000 }),
): Promise<DoctorCheck[]> {
  let templates: OpenStackMachineTemplate[];
  try {
    templates = (
      await kube.listAll<OpenStackMachineTemplate>({
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'OpenStackMachineTemplate',
      })
    ).items;
  } catch {
    return [];
  }
  if (!templates.length) return [];
  const cloud = cloudOrCheck(env);
  if (!cloud || 'status' in cloud) return [];
  const api = new OpenStackApi(rest, cloud);
  const out: DoctorCheck[] = [];
  for (const t of templates) {
    const name = `OpenStackMachineTemplate ${t.metadata.namespace}/${t.metadata.name}`;
    try {
      const r = await resolveMachine({
        api,
        name: 'doctor',
        namespace: t.metadata.namespace ?? '',
        clusterName: '',
        spec: t.spec.template.spec,
        // Without ports the cluster's network is used; doctor only checks what the template names itself.
        cluster: {
          spec: { identityRef: { name: '', cloudName: '' }, network: { id: '00000000-0000-0000-0000-000000000000' } },
          status: undefined,
        },
        at: 'spec.template.spec',
      });
      out.push(
        r.ok
          ? {
              name,
              status: 'ok',
              detail: `image ${r.resolved.imageID}, flavor ${r.resolved.flavorID}${t.spec.template.spec.ports?.length ? `, networks ${[...new Set(r.resolved.ports?.map((p) => p.networkID))].join(', ')}` : ''} exist`,
            }
          : {
              name,
              status: 'fail',
              detail: `${r.reason}: ${r.message}`,
              fix: 'create it in OpenStack, or fix the template (a new template; templates are immutable)',
            },
      );
    } catch (e) {
      if (e instanceof CloudConfigError) return out;
      const c = classifyOpenStackError(e);
      out.push({ name, status: 'warn', detail: `could not check: ${c.code}: ${c.message}` });
    }
  }
  return out;
}
