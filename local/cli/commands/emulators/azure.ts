// `capi-fn emulator azure`: the Azure Resource Manager emulator (test/emulators/arm), which the Azure CLI and the
// Azure provider (through the official SDKs) accept. HTTPS with its own CA, written to --ca-out.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../../../shared/reconcile/duration.ts';
import { count, port, runForeground } from './options.ts';

export function registerAzureEmulator(parent: Command): void {
  parent
    .command('azure')
    .description(
      'Azure Resource Manager with an AAD token endpoint (HTTPS, its own CA), which az and the Azure provider accept',
    )
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', port, 8443)
    .option(
      '--ca-out <file>',
      'where to write the CA certificate (for NODE_EXTRA_CA_CERTS and REQUESTS_CA_BUNDLE)',
      'arm-emulator-ca.pem',
    )
    .option('--vm-create <duration>', 'how long a new VM stays Creating', '2s')
    .option('--vm-delete <duration>', 'how long a deleted VM stays Deleting', '1s')
    .option(
      '--core-quota <n>',
      'vCPUs per location before a VM PUT fails with OperationNotAllowed (quota)',
      count,
      1000,
    )
    .option(
      '--cluster <name>',
      'seed what an installed cluster of this ID has (resource group, vnet, subnets, RHCOS gallery image, identity)',
      'capi-fn-azure-7x2kq',
    )
    .option('--no-seed', 'start with an empty subscription')
    .action(
      async (opts: {
        port: number;
        caOut: string;
        vmCreate: string;
        vmDelete: string;
        coreQuota: number;
        cluster: string;
        seed: boolean;
      }) => {
        const vmCreateMs = parseDuration(opts.vmCreate);
        const vmDeleteMs = parseDuration(opts.vmDelete);
        if (vmCreateMs === undefined || vmDeleteMs === undefined) {
          process.stderr.write(
            'capi-fn emulator azure: --vm-create and --vm-delete must be durations such as 2s or 500ms\n',
          );
          process.exitCode = 2;
          return;
        }
        const { startArmEmulator } = await import('../../../../test/emulators/arm/server.ts');
        const { seedInstalledCluster } = await import('../../../../test/emulators/arm/seed.ts');
        const caFile = resolve(opts.caOut);
        let banner: string[] = [];
        await runForeground(
          'azure',
          async () => {
            const arm = await startArmEmulator({ port: opts.port, vmCreateMs, vmDeleteMs, coreQuota: opts.coreQuota });
            writeFileSync(caFile, arm.caPem);
            const seeded = opts.seed ? seedInstalledCluster(arm.state, opts.cluster) : undefined;
            const host = arm.endpoint.replace(/\/$/, '');
            banner = [
              `Azure Resource Manager emulator on ${arm.endpoint} (state in memory; Ctrl-C stops); CA certificate in ${caFile}`,
              ...(seeded
                ? [
                    `seeded cluster ${opts.cluster}: resource group ${seeded.rg}, vnet ${seeded.vnet}, subnet ${seeded.workerSubnet}, image ${seeded.imageID}`,
                  ]
                : []),
              'capi-fn:',
              `  export AZURE_RESOURCE_MANAGER_ENDPOINT=${arm.endpoint} AZURE_AUTHORITY_HOST=${arm.authorityHost} NODE_EXTRA_CA_CERTS=${caFile}`,
              `  export AZURE_TENANT_ID=${arm.tenantId} AZURE_CLIENT_ID=${arm.clientId} AZURE_CLIENT_SECRET=${arm.clientSecret} AZURE_SUBSCRIPTION_ID=${arm.subscriptionId}`,
              'az (Debian azure-cli 2.45):',
              `  export REQUESTS_CA_BUNDLE=${caFile} AZURE_CONFIG_DIR=$PWD/.az-emulator`,
              `  az cloud register --name CapiFnEmulator --endpoint-resource-manager ${arm.endpoint} --endpoint-active-directory ${host}/adfs \\`,
              '    --endpoint-active-directory-resource-id https://management.capi-fn.local/ --endpoint-active-directory-graph-resource-id https://graph.capi-fn.local/ \\',
              `    --endpoint-management https://management.capi-fn.local/ --endpoint-vm-image-alias-doc ${host}/aliases.json --profile 2020-09-01-hybrid`,
              '  az cloud set --name CapiFnEmulator',
              `  az login --service-principal -u ${arm.clientId} -p ${arm.clientSecret} --tenant adfs`,
            ];
            return arm;
          },
          () => banner,
          opts.port,
        );
      },
    );
}
