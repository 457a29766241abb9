// Pieces every infrastructure provider's kinds reuse (v1beta1 provider contract, capi-core-spec.md §4).
import * as z from 'zod';
import { APIEndpoint, FailureDomains } from '../capi/cluster.ts';
import { MachineAddress, ObjectMetaTemplate } from '../capi/common.ts';
import { Condition } from '../conditions.ts';
import { AGE_COLUMN, type PrinterColumn } from '../kind.ts';

export const Conditions = z.array(Condition);
export { APIEndpoint, FailureDomains, MachineAddress, ObjectMetaTemplate };

/** `spec.template` of every `<InfraMachine>Template`: metadata for the clones plus the machine spec. */
export function machineTemplateSpec<S extends z.ZodType>(machineSpec: S) {
  return z.strictObject({
    template: z.strictObject({
      metadata: ObjectMetaTemplate.optional(),
      spec: machineSpec,
    }),
  });
}

export const Filter = z.strictObject({ name: z.string().min(1), values: z.array(z.string()).min(1) });

export function infraClusterColumns(extra: PrinterColumn[] = []): PrinterColumn[] {
  return [
    {
      name: 'Cluster',
      type: 'string',
      jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",
      description: 'Cluster to which this infrastructure cluster belongs',
    },
    { name: 'Ready', type: 'string', jsonPath: '.status.ready', description: 'Cluster infrastructure is ready' },
    ...extra,
    AGE_COLUMN,
  ];
}

export function infraMachineColumns(extra: PrinterColumn[] = []): PrinterColumn[] {
  return [
    {
      name: 'Cluster',
      type: 'string',
      jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",
      description: 'Cluster to which this machine belongs',
    },
    ...extra,
    { name: 'Ready', type: 'string', jsonPath: '.status.ready', description: 'Machine ready status' },
    { name: 'ProviderID', type: 'string', jsonPath: '.spec.providerID', description: 'Provider ID' },
    {
      name: 'Machine',
      type: 'string',
      jsonPath: '.metadata.ownerReferences[?(@.kind=="Machine")].name',
      description: 'Machine object which owns this infrastructure machine',
    },
    AGE_COLUMN,
  ];
}

export const TEMPLATE_COLUMNS: PrinterColumn[] = [AGE_COLUMN];

/**
 * An object of alternatives of which exactly one must be set (upstream: `MinProperties=1`, `MaxProperties=1`),
 * e.g. CAPO's `{id | filter}` parameters or CAPZ's image sources. The CRD carries the same bounds.
 */
export function exactlyOne<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape);
  return z
    .strictObject(shape)
    .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, {
      message: `exactly one of ${keys.map((k) => JSON.stringify(k)).join(', ')} must be set`,
    })
    .meta({ minProperties: 1, maxProperties: 1 });
}
