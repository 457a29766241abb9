// infra/crds/ must be exactly what the schemas render; `gen-crds --check` reports drift and stale files.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CRD_DIR, diffCrdFiles, renderCrdFiles } from '../shared/api/crd-files.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const script = join(root, 'scripts', 'gen-crds.ts');

async function genCrds(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const temps: string[] = [];
function tempCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'capi-fn-crds-'));
  temps.push(dir);
  cpSync(join(root, CRD_DIR), dir, { recursive: true });
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe(`${CRD_DIR}`, () => {
  it('is up to date with the schemas', () => {
    const { want, stale, changed } = diffCrdFiles(join(root, CRD_DIR));
    const problems = [...stale.map((f) => `stale: ${f}`), ...changed.map((f) => `out of date: ${f}`)];
    expect(problems, `${problems.join(', ')}: run npm run gen:crds`).toEqual([]);
    expect(
      readdirSync(join(root, CRD_DIR))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual([...want.keys()].sort());
  });

  it('renders deterministically', () => {
    expect([...renderCrdFiles()]).toEqual([...renderCrdFiles()]);
  });
});

describe('gen-crds --check', () => {
  it('passes on the committed files', async () => {
    const r = await genCrds('--check');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ CRDs up to date/);
  });

  it('fails on a stale file and on an edited file, naming both', async () => {
    const dir = tempCopy();
    writeFileSync(join(dir, 'infrastructure.cluster.x-k8s.io_oldmachines.yaml'), 'kind: CustomResourceDefinition\n');
    writeFileSync(join(dir, 'cluster.x-k8s.io_machines.yaml'), '# edited by hand\n');
    const r = await genCrds('--check', '--dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`stale: ${dir}/infrastructure.cluster.x-k8s.io_oldmachines.yaml`);
    expect(r.stderr).toContain(`out of date: ${dir}/cluster.x-k8s.io_machines.yaml`);
    expect(r.stderr).toContain('run `npm run gen:crds`');
  });

  it('regenerates: writes what changed, removes what is stale, then checks clean', async () => {
    const dir = tempCopy();
    writeFileSync(join(dir, 'infrastructure.cluster.x-k8s.io_oldmachines.yaml'), 'kind: CustomResourceDefinition\n');
    rmSync(join(dir, 'metal3.io_baremetalhosts.yaml'));
    const w = await genCrds('--dir', dir);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('(1 written, 1 removed)');
    expect(diffCrdFiles(dir)).toMatchObject({ stale: [], changed: [] });
    expect((await genCrds('--check', '--dir', dir)).code).toBe(0);
  });
});
