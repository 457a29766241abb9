import type { Command } from 'commander';
import { register as apiserver } from './apiserver.ts';
import { registerBridge } from './bridge.ts';
import { registerDeploy } from './deploy.ts';
import { registerDoctor } from './doctor.ts';
import { registerEmulator } from './emulator.ts';
import { registerGet } from './get.ts';
import { registerInvoke } from './invoke.ts';
import { registerUp } from './up.ts';

/** Every command module exports a `register(program)`; order here is the order in `--help`. */
export const commands: Array<(program: Command) => void> = [
  registerUp,
  registerGet,
  registerInvoke,
  registerDoctor,
  registerDeploy,
  registerBridge,
  apiserver,
  registerEmulator,
];
