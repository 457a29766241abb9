// How a served kind is declared: its zod schema (the one source of truth for types, validation and
// the generated CRD) plus the CRD facts that are not part of the schema.
import * as z from 'zod';
import { ObjectMeta } from './meta.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface KindVersion {
  name: string;
  /** Exactly one version per kind is the storage version. */
  storage: boolean;
  served?: boolean;
  deprecated?: boolean;
  schema: z.ZodType;
  printerColumns?: PrinterColumn[];
}

export interface KindDefinition {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  scope: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  categories?: string[];
  versions: KindVersion[];
  /** Scale subresource paths; every kind gets the status subresource. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  /** Extra CRD labels, e.g. the provider contract label on infrastructure kinds. */
  labels?: Record<string, string>;
  /** Which provider the kind belongs to (core kinds: 'core'); the operator installs by provider. */
  provider: ProviderName | 'core' | 'openshift';
}

export type ProviderName = 'aws' | 'gcp' | 'azure' | 'openstack' | 'vsphere' | 'metal3' | 'local';

/** A top-level kind schema: apiVersion, kind, metadata, then the kind's own fields. */
export function kindSchema<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: ObjectMeta,
    ...shape,
  });
}

/** The v1beta1 infrastructure provider contract label CAPI core reads to pick ref versions. */
export function contractLabel(versions: string[]): Record<string, string> {
  return { 'cluster.x-k8s.io/v1beta1': versions.join('_') };
}

export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time duration since creation',
};

export function apiVersionOf(def: KindDefinition, version?: string): string {
  const v = version ?? def.versions.find((x) => x.storage)?.name ?? def.versions[0]!.name;
  return def.group ? `${def.group}/${v}` : v;
}
