// Writes serverless.yml from the handler declarations; `--check` only reports whether it is current.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderServerlessYaml } from './serverless-config.ts';

const path = join(import.meta.dirname, '..', 'serverless.yml');
const want = renderServerlessYaml();
const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
if (process.argv.includes('--check')) {
  if (current !== want) {
    console.error('serverless.yml is out of date: run `npm run gen:serverless`');
    process.exit(1);
  }
  console.log('serverless.yml is up to date');
} else {
  writeFileSync(path, want);
  console.log('wrote serverless.yml');
}
