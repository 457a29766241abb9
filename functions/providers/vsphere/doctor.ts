// `capi-fn doctor` against vCenter: the login with VSPHERE_*, then the datacenter, template and network the
// environment names (VSPHERE_DATACENTER, VSPHERE_TEMPLATE, VSPHERE_NETWORK), each found by inventory path as the
// provider will find them. One check line, naming what is missing and how to fix it.
import type { DoctorCheck } from '../kit/module.ts';
import { VimClient } from './client.ts';
import { credentialsFromEnv } from './credentials.ts';
import { classifyVSphereError } from './errors.ts';
import { inventoryPath, isUuid } from './names.ts';

const NAME = 'vCenter';

export async function vcenterChecks(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const creds = credentialsFromEnv(env);
  if ('missing' in creds)
    return { name: NAME, status: 'fail', detail: `${creds.missing.join(', ')} not set`, fix: 'set them' };
  const api = new VimClient(creds, { timeoutMs: 10_000 });
  const done: string[] = [];
  try {
    const sc = await api.serviceContent();
    await api.retrieve([sc.rootFolder], { Folder: ['name'] });
    done.push(`logged in to ${sc.about.fullName} as ${creds.username}`);
    const dc = env.VSPHERE_DATACENTER;
    if (dc) {
      if (!(await api.findByInventoryPath(dc)))
        return fail(
          `datacenter ${dc} not found (${done.join('; ')})`,
          'fix VSPHERE_DATACENTER (the template’s spec.datacenter)',
        );
      done.push(`datacenter ${dc}`);
      const t = env.VSPHERE_TEMPLATE;
      if (t) {
        const found = isUuid(t)
          ? await api.findByUuid(t, { instanceUuid: true })
          : await api.findByInventoryPath(inventoryPath(dc, 'vm', t));
        if (!found)
          return fail(
            `template ${t} not found in ${dc} (${done.join('; ')})`,
            'import the RHCOS template, or fix VSPHERE_TEMPLATE',
          );
        done.push(`template ${t}`);
      }
      const n = env.VSPHERE_NETWORK;
      if (n) {
        if (!(await api.findByInventoryPath(inventoryPath(dc, 'network', n))))
          return fail(
            `network ${n} not found in ${dc} (${done.join('; ')})`,
            'fix VSPHERE_NETWORK (network.devices[].networkName)',
          );
        done.push(`network ${n}`);
      }
    }
    return { name: NAME, status: 'ok', detail: done.join('; ') };
  } catch (e) {
    const c = classifyVSphereError(e);
    const fix =
      c.code === 'InvalidLogin'
        ? 'fix VSPHERE_USERNAME / VSPHERE_PASSWORD'
        : c.class === 'auth'
          ? c.message
          : `is ${creds.server} reachable? (npx capi-fn emulator vsphere starts vcsim)`;
    return fail(`${creds.server}: ${c.code}: ${c.message}`, fix);
  } finally {
    await api.logout().catch(() => undefined);
  }
}

function fail(detail: string, fix: string): DoctorCheck {
  return { name: NAME, status: 'fail', detail, fix };
}
