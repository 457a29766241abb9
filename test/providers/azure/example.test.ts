// examples/azure/machineset.yaml is what the README applies: every object passes the schemas and the webhook, and
// its names match what `capi-fn up --platform azure` and `capi-fn emulator azure` seed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { review } from '../../../functions/webhooks/review.ts';
import { loadAllKinds } from '../../../shared/api/kind-schemas.ts';
import { PLATFORM_PROVIDERS } from '../../../shared/api/openshift/constants.ts';
import { validateObject } from '../../../shared/api/registry.ts';
import { formatFieldErrors } from '../../../shared/api/validate.ts';
import { seedInstalledCluster } from '../../emulators/arm/seed.ts';
import { ArmState } from '../../emulators/arm/state.ts';
import { infraRequest } from '../../support/admission.ts';

// review() is synchronous: the webhook's HTTP handler loads the request's kind first; these call it directly.
beforeAll(() => loadAllKinds());

const docs = parseAllDocuments(
  readFileSync(join(import.meta.dirname, '../../../examples/azure/machineset.yaml'), 'utf8'),
).map((d) => d.toJSON() as { apiVersion: string; kind: string; spec: { template: { spec: Record<string, unknown> } } });

describe('examples/azure/machineset.yaml', () => {
  it('passes the schemas and the Azure admission rules', () => {
    for (const o of docs) {
      const v = validateObject(o);
      expect(v.ok, v.ok ? '' : formatFieldErrors(v.errors)).toBe(true);
    }
    const template = docs.find((o) => o.kind === 'AzureMachineTemplate')!;
    const r = review(
      infraRequest('v1beta1', 'AzureMachineTemplate', { spec: template.spec }),
      {
        openshift: {
          infrastructureName: 'capi-fn-azure-7x2kq',
          platformType: 'Azure',
          provider: PLATFORM_PROVIDERS.Azure!,
        },
      },
      'validate',
    );
    expect(r.allowed).toBe(true);
  });

  it('names the image, subnet and identity the emulator seeds for the embedded default’s cluster', () => {
    const state = new ArmState();
    const seeded = seedInstalledCluster(state, 'capi-fn-azure-7x2kq');
    const spec = docs.find((o) => o.kind === 'AzureMachineTemplate')!.spec.template.spec as {
      image: { id: string };
      networkInterfaces: Array<{ subnetName: string }>;
      userAssignedIdentities: Array<{ providerID: string }>;
    };
    expect(spec.image.id).toBe(seeded.imageID);
    expect(spec.networkInterfaces[0]!.subnetName).toBe(seeded.workerSubnet);
    expect(spec.userAssignedIdentities[0]!.providerID.toLowerCase()).toContain(
      `/userassignedidentities/${seeded.identity}`,
    );
  });
});
