// Knative's own published CRDs (test/peers/knative/) installed into a test's API server with kubectl, less
// PingSource's conversion webhook: the embedded API server runs no conversion webhooks, and the manifests use the
// storage versions only.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const FIXTURES = join(import.meta.dirname, '..', 'peers', 'knative');

export async function installKnativeCrds(ok: (args: string[]) => Promise<string>, dir: string): Promise<void> {
  const file = join(dir, 'knative-crds.yaml');
  writeFileSync(
    file,
    readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(join(FIXTURES, f), 'utf8')).map((d) => d.toJSON()))
      .map((crd) => stringify({ ...crd, spec: { ...crd.spec, conversion: undefined } }))
      .join('---\n'),
  );
  await ok(['apply', '-f', file]);
  await ok(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=30s']);
}
