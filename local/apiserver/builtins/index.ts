import type { ResourceDef } from '../registry.ts';
import { coreDefs } from './core.ts';
import { otherDefs } from './others.ts';
import { storageDefs } from './storage.ts';

export function builtinDefs(): ResourceDef[] {
  return [...coreDefs, ...otherDefs, ...storageDefs];
}
