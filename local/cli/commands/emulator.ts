// `capi-fn emulator <cloud>`: a cloud's emulator in the foreground (state in memory), so `npm start --
// --platform <p>`, the cloud's own CLI and the examples have a cloud without an account. One subcommand
// per cloud, each in emulators/<cloud>.ts with its own options.
import type { Command } from 'commander';
import { registerAzureEmulator } from './emulators/azure.ts';
import { registerGcpEmulator } from './emulators/gcp.ts';
import { registerOpenStackEmulator } from './emulators/openstack.ts';
import { registerVSphereEmulator } from './emulators/vsphere.ts';

export function registerEmulator(program: Command): void {
  const emulator = program
    .command('emulator')
    .description('run a cloud emulator in the foreground (state in memory): gcp, azure, openstack, vsphere')
    .showHelpAfterError('(run it with --help for its usage)');
  registerGcpEmulator(emulator);
  registerAzureEmulator(emulator);
  registerOpenStackEmulator(emulator);
  registerVSphereEmulator(emulator);
}
