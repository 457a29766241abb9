// `npm run gen:providers`: writes functions/providers/runtimes.ts and runtime-loaders.ts (see providers-source.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRuntimeLoaders, renderRuntimes } from './providers-source.ts';

for (const [name, render] of [
  ['runtimes.ts', renderRuntimes],
  ['runtime-loaders.ts', renderRuntimeLoaders],
] as const) {
  const file = join(import.meta.dirname, '..', 'functions', 'providers', name);
  writeFileSync(file, render());
  process.stdout.write(`wrote ${file}\n`);
}
