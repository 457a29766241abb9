// `npm run gen:providers`: writes functions/providers/runtimes.ts (see providers-source.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRuntimes } from './providers-source.ts';

const file = join(import.meta.dirname, '..', 'functions', 'providers', 'runtimes.ts');
writeFileSync(file, renderRuntimes());
process.stdout.write(`wrote ${file}\n`);
