// Every host capi-fn deploys to, with what it renders, where, and what the deployer needs. `npm run gen:deploy`
// writes the folders, a test fails when one is stale, and `capi-fn deploy <host>` renders or runs them.
import { renderKnativeFiles } from './knative.ts';

export interface Host {
  name: 'knative';
  dir: string;
  render(): Map<string, string>;
}

export const hosts: Host[] = [{ name: 'knative', dir: 'infra/knative', render: renderKnativeFiles }];

/** The files a host owns in its folder (a README or a hand-kept file beside them is left alone). */
export function isRendered(host: Host): (f: string) => boolean {
  const names = new Set(host.render().keys());
  return (f) => names.has(f) || f.endsWith('.yaml') || f.endsWith('.json') || f.endsWith('.bicep');
}
