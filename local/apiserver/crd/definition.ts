// Turning a CustomResourceDefinition into a served ResourceDef, and validating the CRD object itself.
import type { ResourceDef, ScaleSpec, VersionDef } from '../registry.ts';
import { ALL_VERBS, compareVersions } from '../registry.ts';
import { applyDefaults } from '../schema/default.ts';
import { pruneObject } from '../schema/prune.ts';
import type { Schema } from '../schema/types.ts';
import { type FieldError, fieldErrors } from '../status-errors.ts';
import { crdColumns, type PrinterColumnSpec } from '../table.ts';
import { asArray, asObject, asString, isObject, type JsonObject } from '../util.ts';
import { checkStructural } from './structural.ts';

export interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

export function crdNames(crd: JsonObject): CrdNames {
  const n = asObject(asObject(crd.spec).names);
  const kind = asString(n.kind) ?? '';
  return {
    plural: asString(n.plural) ?? '',
    singular: asString(n.singular) || kind.toLowerCase(),
    kind,
    listKind: asString(n.listKind) || `${kind}List`,
    shortNames: asArray(n.shortNames).filter((x): x is string => typeof x === 'string'),
    categories: asArray(n.categories).filter((x): x is string => typeof x === 'string'),
  };
}

function versionSchema(v: JsonObject): Schema | undefined {
  const s = asObject(v.schema).openAPIV3Schema;
  return isObject(s) ? (s as Schema) : undefined;
}

export function defFromCrd(crd: JsonObject): ResourceDef {
  const spec = asObject(crd.spec);
  const group = asString(spec.group) ?? '';
  const names = crdNames(crd);
  const namespaced = spec.scope !== 'Cluster';
  const rawVersions = asArray(spec.versions).map(asObject);
  const storage = rawVersions.find((v) => v.storage === true);
  const storageVersion = asString(storage?.name) ?? '';
  const versions: VersionDef[] = rawVersions
    .map((v) => {
      const sub = asObject(v.subresources);
      const scale = isObject(sub.scale) ? (sub.scale as unknown as ScaleSpec) : undefined;
      const vd: VersionDef = {
        name: asString(v.name) ?? '',
        served: v.served === true,
        storage: v.storage === true,
        schema: versionSchema(v),
        columns: crdColumns(asArray(v.additionalPrinterColumns) as PrinterColumnSpec[]),
        status: isObject(sub.status),
        selectableFields: asArray(v.selectableFields)
          .map((f) => asString(asObject(f).jsonPath))
          .filter((x): x is string => !!x),
      };
      if (scale) vd.scale = scale;
      if (v.deprecated === true) {
        vd.deprecated = true;
        vd.deprecationWarning = asString(v.deprecationWarning) ?? `${group}/${vd.name} ${names.kind} is deprecated`;
      }
      return vd;
    })
    .sort((a, b) => compareVersions(a.name, b.name));
  const schemaFor = (version: string) => versions.find((v) => v.name === version)?.schema;
  return {
    group,
    resource: names.plural,
    kind: names.kind,
    listKind: names.listKind,
    singular: names.singular,
    namespaced,
    shortNames: names.shortNames,
    categories: names.categories,
    versions,
    storageKey: `${group}/${names.plural}`,
    storageVersion,
    builtin: false,
    tracksGeneration: true,
    extraSubresources: [],
    smp: undefined,
    deleteReturnsObject: false,
    verbs: ALL_VERBS,
    crd: { name: asString(asObject(crd.metadata).name) ?? '', uid: asString(asObject(crd.metadata).uid) ?? '' },
    // conversion strategy None: only apiVersion changes, then the target version's pruning and defaulting apply.
    toStorage: (o) => {
      // Already pruned and defaulted for its version on decode; only another version needs the storage schema.
      if (o.apiVersion === `${group}/${storageVersion}`) return { ...o };
      const out = { ...o, apiVersion: `${group}/${storageVersion}` };
      return applyDefaults(pruneObject(out, schemaFor(storageVersion)).value, schemaFor(storageVersion)) as JsonObject;
    },
    fromStorage: (o, version) => {
      if (version === storageVersion) return { ...o, apiVersion: `${group}/${version}` };
      const out = { ...o, apiVersion: `${group}/${version}` };
      return applyDefaults(pruneObject(out, schemaFor(version)).value, schemaFor(version)) as JsonObject;
    },
  };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function validateCrd(crd: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObject(crd.spec);
  const group = asString(spec.group) ?? '';
  const names = crdNames(crd);
  const name = asString(asObject(crd.metadata).name) ?? '';
  if (name !== `${names.plural}.${group}`)
    errs.push(fieldErrors.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (!group) errs.push(fieldErrors.required('spec.group'));
  else if (!DNS1123_SUBDOMAIN.test(group) || !group.includes('.'))
    errs.push(fieldErrors.invalid('spec.group', group, 'should be a domain with at least one dot'));
  if (!names.plural) errs.push(fieldErrors.required('spec.names.plural'));
  else if (!DNS1035_LABEL.test(names.plural))
    errs.push(
      fieldErrors.invalid(
        'spec.names.plural',
        names.plural,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
      ),
    );
  if (!names.kind) errs.push(fieldErrors.required('spec.names.kind'));
  if (names.singular && !DNS1035_LABEL.test(names.singular))
    errs.push(
      fieldErrors.invalid(
        'spec.names.singular',
        names.singular,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
      ),
    );
  const scope = spec.scope;
  if (scope !== 'Namespaced' && scope !== 'Cluster')
    errs.push(fieldErrors.notSupported('spec.scope', scope ?? '', ['Cluster', 'Namespaced']));
  if (spec.preserveUnknownFields === true)
    errs.push(
      fieldErrors.invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'),
    );
  const versions = asArray(spec.versions).map(asObject);
  if (versions.length === 0)
    errs.push(fieldErrors.required('spec.versions', 'must have exactly one version marked as storage version'));
  const storageCount = versions.filter((v) => v.storage === true).length;
  if (versions.length > 0 && storageCount !== 1)
    errs.push(
      fieldErrors.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    const vn = asString(v.name) ?? '';
    if (!vn) errs.push(fieldErrors.required(`${p}.name`));
    else if (seen.has(vn)) errs.push(fieldErrors.duplicate(`${p}.name`, vn));
    seen.add(vn);
    const schema = asObject(v.schema).openAPIV3Schema;
    if (!isObject(schema)) errs.push(fieldErrors.required(`${p}.schema.openAPIV3Schema`, 'schemas are required'));
    else errs.push(...checkStructural(schema, `${p}.schema.openAPIV3Schema`));
    const sub = asObject(v.subresources);
    if (isObject(sub.scale)) {
      const sc = sub.scale;
      if (typeof sc.specReplicasPath !== 'string' || !sc.specReplicasPath.startsWith('.spec.'))
        errs.push(
          fieldErrors.invalid(
            `${p}.subresources.scale.specReplicasPath`,
            sc.specReplicasPath ?? '',
            'should be a json path under .spec',
          ),
        );
      if (typeof sc.statusReplicasPath !== 'string' || !sc.statusReplicasPath.startsWith('.status.'))
        errs.push(
          fieldErrors.invalid(
            `${p}.subresources.scale.statusReplicasPath`,
            sc.statusReplicasPath ?? '',
            'should be a json path under .status',
          ),
        );
    }
    asArray(v.additionalPrinterColumns).forEach((c, j) => {
      const co = asObject(c);
      const cp = `${p}.additionalPrinterColumns[${j}]`;
      if (!asString(co.name)) errs.push(fieldErrors.required(`${cp}.name`));
      if (!asString(co.jsonPath)) errs.push(fieldErrors.required(`${cp}.jsonPath`));
      const t = co.type;
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(String(t)))
        errs.push(fieldErrors.notSupported(`${cp}.type`, t ?? '', ['boolean', 'date', 'integer', 'number', 'string']));
    });
    if (asArray(v.selectableFields).length > 8)
      errs.push(fieldErrors.tooMany(`${p}.selectableFields`, asArray(v.selectableFields).length, 8));
  });
  const conv = asObject(spec.conversion);
  if (conv.strategy !== undefined && conv.strategy !== 'None' && conv.strategy !== 'Webhook')
    errs.push(fieldErrors.notSupported('spec.conversion.strategy', conv.strategy, ['None', 'Webhook']));
  if (conv.strategy === 'Webhook')
    errs.push(
      fieldErrors.forbidden(
        'spec.conversion.strategy',
        'conversion webhooks are not supported by the embedded API server',
      ),
    );
  return errs;
}

/** Defaults the apiextensions strategy fills on write. */
export function defaultCrd(crd: JsonObject): void {
  const spec = asObject(crd.spec);
  const names = asObject(spec.names);
  if (typeof names.kind === 'string') {
    names.singular ??= names.kind.toLowerCase();
    names.listKind ??= `${names.kind}List`;
  }
  spec.names = names;
  spec.conversion ??= { strategy: 'None' };
  for (const v of asArray(spec.versions)) {
    if (!isObject(v)) continue;
    for (const c of asArray(v.additionalPrinterColumns)) if (isObject(c)) c.priority ??= 0;
  }
  crd.spec = spec;
}
