// Regenerates each host's deployment folder (infra/knative, infra/azure, infra/gcp) from the handler
// declarations; `--check` only reports what is stale.
import { join } from 'node:path';
import { hosts, isRendered } from './deploy/hosts.ts';
import { staleFiles, writeRendered } from './deploy/rendered.ts';

const root = join(import.meta.dirname, '..');
if (process.argv.includes('--check')) {
  const stale = hosts.flatMap((h) => staleFiles(root, h.dir, h.render(), isRendered(h)));
  if (stale.length) {
    console.error(`out of date: ${stale.join(', ')}\nrun \`npm run gen:deploy\``);
    process.exit(1);
  }
  console.log('deployments up to date');
} else {
  for (const h of hosts) {
    const files = h.render();
    writeRendered(root, h.dir, files, isRendered(h));
    console.log(`wrote ${files.size} files to ${h.dir}/`);
  }
}
