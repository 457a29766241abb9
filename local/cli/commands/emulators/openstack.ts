// `capi-fn emulator openstack`: the OpenStack emulator (test/emulators/openstack: Keystone, Nova, Neutron, Glance,
// Cinder on one port), which Debian's `openstack` CLI accepts; writes a clouds.yaml for it (cloud `capi-fn-emulator`).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../../../shared/reconcile/duration.ts';
import { count, port, runForeground } from './options.ts';

export function registerOpenStackEmulator(parent: Command): void {
  parent
    .command('openstack')
    .description('Keystone v3, Nova, Neutron, Glance and Cinder on one port, which the openstack CLI accepts')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', port, 8095)
    .option('--clouds-yaml <file>', 'where to write the clouds.yaml for it (cloud capi-fn-emulator)', 'clouds.yaml')
    .option('--build <duration>', 'how long a server stays BUILD before it is ACTIVE', '2s')
    .option('--instances-quota <n>', 'servers before a create fails with 403 Quota exceeded', count, 100)
    .option('--application-credential', 'write application-credential auth into clouds.yaml instead of a password')
    .action(
      async (opts: {
        port: number;
        cloudsYaml: string;
        build: string;
        instancesQuota: number;
        applicationCredential?: boolean;
      }) => {
        const buildMs = parseDuration(opts.build);
        if (buildMs === undefined) {
          process.stderr.write(
            `capi-fn emulator openstack: --build ${opts.build}: must be a duration such as 2s or 500ms\n`,
          );
          process.exitCode = 2;
          return;
        }
        const { startOpenStackEmulator } = await import('../../../../test/emulators/openstack/server.ts');
        const file = resolve(opts.cloudsYaml);
        let authUrl = '';
        await runForeground(
          'openstack',
          async () => {
            const os = await startOpenStackEmulator({
              port: opts.port,
              buildMs,
              quota: { instances: opts.instancesQuota },
            });
            authUrl = os.authUrl;
            writeFileSync(file, os.cloudsYaml({ applicationCredential: Boolean(opts.applicationCredential) }), {
              mode: 0o600,
            });
            return os;
          },
          () => [
            `OpenStack emulator on ${authUrl} (state in memory; Ctrl-C stops)`,
            `clouds.yaml written to ${file} (cloud capi-fn-emulator)`,
            `capi-fn:   export OS_CLIENT_CONFIG_FILE=${file} OS_CLOUD=capi-fn-emulator`,
            'openstack: openstack --os-cloud capi-fn-emulator server list   (with the same OS_CLIENT_CONFIG_FILE)',
          ],
          opts.port,
        );
      },
    );
}
