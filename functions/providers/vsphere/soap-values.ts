// The vim25 values that need no XML parser: managed object references, typed primitives, and readers for the
// parsed elements. Apart from soap.ts so that the provider's admission rules (request.ts, in the webhooks' and the
// operator's bundles) do not carry fast-xml-parser.

/** A managed object reference (`<x type="VirtualMachine">vm-42</x>`). */
export interface MoRef {
  type: string;
  value: string;
}

/** A value of a derived type (`<x xsi:type="VirtualMachineConfigSpec">…</x>`). */
export interface Typed {
  xsi: string;
  [field: string]: unknown;
}

export function moRef(type: string, value: string): MoRef {
  return { type, value };
}

/** A primitive written with its XML Schema type (`OptionValue.value` is `xsd:anyType`). */
export function xsd(type: 'string' | 'int' | 'long' | 'boolean', value: string | number | boolean): Typed {
  return { xsi: `xsd:${type}`, _text: String(value) };
}

/** A parsed element: attributes as `@name` (`@xsi:type`, `@type`), text as `_text`, children by name. */
export type Node = Record<string, unknown>;

/** The element as a list (a single child parses as an object, several as an array). */
export function arr(v: unknown): Node[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]) as Node[];
}

/** The text of an element (`<x>text</x>` or `<x a="b">text</x>`). */
export function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '_text' in (v as Node)) return String((v as Node)._text);
  return undefined;
}

export function num(v: unknown): number | undefined {
  const t = text(v);
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function bool(v: unknown): boolean | undefined {
  const t = text(v);
  return t === undefined ? undefined : t === 'true' || t === '1';
}

/** A MoRef element read back. */
export function ref(v: unknown): MoRef | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const n = v as Node;
  const type = n['@type'];
  const value = n._text;
  return typeof type === 'string' && typeof value === 'string' ? { type, value } : undefined;
}

export function xsiType(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const t = (v as Node)['@xsi:type'];
  return typeof t === 'string' ? t.replace(/^.*:/, '') : undefined;
}
