import type { ResourceDef } from '../registry.ts';
import { coreDefs } from './core.ts';
import { otherDefs } from './others.ts';
import { storageDefs } from './storage.ts';
import { workloadDefs } from './workloads.ts';

export function builtinDefs(): ResourceDef[] {
  return [...coreDefs, ...otherDefs, ...storageDefs, ...workloadDefs];
}
