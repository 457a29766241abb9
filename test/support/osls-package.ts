// `osls package` of the generated serverless.yml, unchanged, in a copy of the checkout (so a test never races a
// developer's own .serverless folder): the CloudFormation template and one zip per function, as AWS would get them.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export type CfnResource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string | string[] };

export interface OslsPackage {
  /** The .serverless folder: the templates and the function zips. */
  out: string;
  templateText: string;
  resources: Record<string, CfnResource>;
  outputs: Record<string, { Value: unknown }>;
}

export async function oslsPackage(env: NodeJS.ProcessEnv): Promise<OslsPackage> {
  const dir = mkdtempSync(join(tmpdir(), 'capi-fn-sls-'));
  for (const f of ['serverless.yml', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f));
  mkdirSync(join(dir, 'scripts'));
  for (const f of ['scripts/esbuild-plugins.ts', 'scripts/lazy-builtins.ts', 'scripts/build-time-data.ts'])
    cpSync(join(ROOT, f), join(dir, f));
  for (const d of ['functions', 'shared', 'local'])
    cpSync(join(ROOT, d), join(dir, d), { recursive: true, filter: (p) => !p.endsWith('.test.ts') });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package'],
      { cwd: dir, timeout: 180_000, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', ...env } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`osls package failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
    ),
  );
  const out = join(dir, '.serverless');
  const templateText = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
  const template = JSON.parse(templateText) as {
    Resources: Record<string, CfnResource>;
    Outputs: Record<string, { Value: unknown }>;
  };
  return { out, templateText, resources: template.Resources, outputs: template.Outputs };
}
