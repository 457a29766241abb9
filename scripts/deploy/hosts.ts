// Every host capi-fn deploys to, with what it renders, where, and what the deployer needs. `npm run gen:deploy`
// writes the folders, a test fails when one is stale, and `capi-fn deploy <host>` renders or runs them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AZURE_DIR, renderAzureFiles } from './azure.ts';
import { GCP_DIR, renderGcpFiles } from './gcp.ts';
import { KNATIVE_DIR, renderKnativeFiles } from './knative.ts';

export interface Host {
  name: 'knative' | 'gcp' | 'azure';
  dir: string;
  render(): Map<string, string>;
}

/** The functions-framework version the functions are built against, pinned in what Google installs beside them. */
/** The versions of the packages a Google function installs beside its bundle, as the project pins them. */
function googleFunctionDependencies(): Record<string, string> {
  const root = join(import.meta.dirname, '..', '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return Object.fromEntries(
    ['@google-cloud/functions-framework', '@google-cloud/pubsub'].map((n) => [n, pkg.dependencies[n]!]),
  );
}

export const hosts: Host[] = [
  { name: 'knative', dir: KNATIVE_DIR, render: renderKnativeFiles },
  { name: 'gcp', dir: GCP_DIR, render: () => renderGcpFiles(googleFunctionDependencies()) },
  { name: 'azure', dir: AZURE_DIR, render: renderAzureFiles },
];

/** The files a host owns in its folder (a README or a hand-kept file beside them is left alone). */
export function isRendered(host: Host): (f: string) => boolean {
  const names = new Set(host.render().keys());
  return (f) => names.has(f) || f.endsWith('.yaml') || f.endsWith('.json') || f.endsWith('.sh') || f.endsWith('.txt');
}
