import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../local/embedded/platforms.ts';
import { renderRuntimeLoaders, renderRuntimes } from '../../scripts/providers-source.ts';
import { PLATFORM_PROVIDERS } from '../../shared/api/openshift/constants.ts';
import { providerKinds } from '../../shared/api/registry.ts';
import { ownsInfraClusterReadiness, providerForPlatformType, providers } from './index.ts';
import { runtimes } from './runtimes.ts';

describe('the provider list', () => {
  it('has one module per provider name and per platform type', () => {
    expect(new Set(providers.map((p) => p.name)).size).toBe(providers.length);
    expect(new Set(providers.map((p) => p.platformType)).size).toBe(providers.length);
  });

  it('offers exactly its platforms to `capi-fn up --platform` (the CLI keeps the words apart to start fast)', () => {
    expect([...PLATFORMS].sort()).toEqual(providers.map((p) => p.cliPlatform).sort());
  });

  it.each(providers.map((p) => [p.name, p] as const))(
    '%s: its kinds are served and match OpenShift’s table',
    (_n, p) => {
      const served = providerKinds[p.name].map((k) => k.kind);
      expect(served).toContain(p.kinds.cluster);
      expect(served).toContain(p.kinds.machineTemplate);
      if (p.kinds.machine) expect(served).toContain(p.kinds.machine);
      const table = PLATFORM_PROVIDERS[p.platformType];
      expect(table?.provider).toBe(p.name);
      expect(table?.infraClusterKind).toBe(p.kinds.cluster);
      expect(table?.machineTemplateKind).toBe(p.kinds.machineTemplate);
      expect(providerForPlatformType(p.platformType)).toBe(p);
    },
  );

  it('runtimes.ts and runtime-loaders.ts are generated from the list (`npm run gen:providers`)', () => {
    expect(readFileSync(join(import.meta.dirname, 'runtimes.ts'), 'utf8')).toBe(renderRuntimes());
    expect(readFileSync(join(import.meta.dirname, 'runtime-loaders.ts'), 'utf8')).toBe(renderRuntimeLoaders());
  });

  it('a provider with a runtime reconciles its own kinds, named after it', () => {
    for (const p of providers.filter(ownsInfraClusterReadiness)) {
      const runtime = runtimes[p.name]!;
      const defs = p.name === 'local' ? runtime.handlers({ client: () => ({}) }) : runtime.handlers();
      expect(defs.map((d) => d.name).sort()).toEqual([`${p.name}-cluster`, `${p.name}-machine`]);
      expect(defs.map((d) => d.reconciles.kind).sort()).toEqual([p.kinds.cluster, p.kinds.machine].sort());
    }
  });
});

describe('descriptors stay light', () => {
  it('no provider descriptor imports its runtime, its cloud client, an SDK or the kit’s lifecycles (webhooks and operator read them)', () => {
    for (const p of providers) {
      const src = readFileSync(join(import.meta.dirname, p.name, 'index.ts'), 'utf8');
      const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const i of imports) {
        expect(i, `${p.name}/index.ts imports ${i}`).not.toMatch(
          /^@|\/(runtime|handler|cloud|client|machine|cluster|port)\.ts$|\.\.\/kit\/(machine|launch|delete|handlers|cluster|node-simulator|orphans)\.ts$/,
        );
      }
    }
  });
});
