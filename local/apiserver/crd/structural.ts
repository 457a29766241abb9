// Structural-schema rules a v1 CRD must satisfy (apiextensions validation), reported as field errors on the CRD.

import type { Schema } from '../schema/types.ts';
import { type FieldError, fieldErrors } from '../status-errors.ts';
import { isObject } from '../util.ts';

const FORBIDDEN = [
  '$ref',
  'patternProperties',
  'definitions',
  'dependencies',
  'readOnly',
  'writeOnly',
  'xml',
  'id',
  'discriminator',
  'additionalItems',
  '$schema',
];
const JUNCTOR_FORBIDDEN = ['type', 'default', 'description', 'additionalProperties', 'nullable'];

export function checkStructural(schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(schema)) {
    errs.push(fieldErrors.required(path, 'schemas are required'));
    return errs;
  }
  const s = schema as Schema;
  if (s.type !== 'object') {
    errs.push(fieldErrors.invalid(`${path}.type`, s.type ?? '', 'must be object at the root'));
  }
  walk(s, path, errs, true, false);
  return errs;
}

function walk(s: Schema, path: string, errs: FieldError[], isRoot: boolean, inJunctor: boolean): void {
  for (const k of FORBIDDEN) {
    if (s[k] !== undefined) errs.push(fieldErrors.forbidden(`${path}.${k}`, `${k} is not supported`));
  }
  if (s.uniqueItems === true)
    errs.push(
      fieldErrors.forbidden(
        `${path}.uniqueItems`,
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  if (s.additionalProperties === false)
    errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties cannot be set to false'));
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false)
    errs.push(
      fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'),
    );
  if (inJunctor) {
    for (const k of JUNCTOR_FORBIDDEN)
      if (s[k] !== undefined) errs.push(fieldErrors.forbidden(`${path}.${k}`, 'must be empty to be structural'));
  } else if (!s.type && !s['x-kubernetes-int-or-string'] && !s['x-kubernetes-preserve-unknown-fields'] && !isRoot) {
    errs.push(fieldErrors.required(`${path}.type`, 'must not be empty for specified object fields'));
  }
  if (s['x-kubernetes-int-or-string'] && s.type) {
    errs.push(fieldErrors.invalid(`${path}.type`, s.type, 'must be empty if x-kubernetes-int-or-string is true'));
  }
  if (s['x-kubernetes-embedded-resource'] && s.type !== 'object') {
    errs.push(
      fieldErrors.invalid(`${path}.type`, s.type ?? '', 'must be object if x-kubernetes-embedded-resource is true'),
    );
  }
  if (s.type === 'array' && !s.items && !inJunctor) {
    errs.push(fieldErrors.required(`${path}.items`, 'must be specified'));
  }
  const lt = s['x-kubernetes-list-type'];
  if (lt !== undefined && lt !== 'atomic' && lt !== 'set' && lt !== 'map')
    errs.push(fieldErrors.notSupported(`${path}.x-kubernetes-list-type`, lt, ['atomic', 'set', 'map']));
  if (lt === 'map' && !s['x-kubernetes-list-map-keys']?.length)
    errs.push(
      fieldErrors.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'),
    );
  if (s.properties) {
    for (const [k, child] of Object.entries(s.properties)) {
      const p = `${path}.properties[${k}]`;
      if (!isObject(child)) continue;
      if (isRoot && k === 'metadata') checkMetadata(child as Schema, p, errs);
      walk(child as Schema, p, errs, false, inJunctor);
    }
  }
  if (isObject(s.additionalProperties))
    walk(s.additionalProperties as Schema, `${path}.additionalProperties`, errs, false, inJunctor);
  if (isObject(s.items)) walk(s.items as Schema, `${path}.items`, errs, false, inJunctor);
  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    (s[j] ?? []).forEach((sub, i) => {
      // The one typed junctor upstream allows: int-or-string as anyOf [{type: integer}, {type: string}].
      if (j === 'anyOf' && s['x-kubernetes-int-or-string'] && isIntOrStringBranch(sub)) return;
      if (isObject(sub)) walk(sub as Schema, `${path}.${j}[${i}]`, errs, false, true);
    });
  }
  if (isObject(s.not)) walk(s.not as Schema, `${path}.not`, errs, false, true);
}

function isIntOrStringBranch(sub: unknown): boolean {
  if (!isObject(sub)) return false;
  const keys = Object.keys(sub);
  return keys.length === 1 && (sub.type === 'integer' || sub.type === 'string');
}

function checkMetadata(s: Schema, path: string, errs: FieldError[]): void {
  if (s.type && s.type !== 'object') errs.push(fieldErrors.invalid(`${path}.type`, s.type, 'must be object'));
  for (const k of Object.keys(s.properties ?? {})) {
    if (k !== 'name' && k !== 'generateName')
      errs.push(fieldErrors.forbidden(`${path}.properties[${k}]`, 'must not be specified'));
  }
  if (s.default !== undefined) errs.push(fieldErrors.forbidden(`${path}.default`, 'must not be set for metadata'));
}
