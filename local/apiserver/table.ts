// Server-side printing: `Table` responses for `kubectl get` (columns, rows, PartialObjectMetadata per row).
import { evalJsonPath, parseJsonPath, printJsonPathValue } from './jsonpath.ts';
import { asObject, type JsonObject } from './util.ts';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableColumn extends ColumnDefinition {
  cell(obj: JsonObject, now: number): unknown;
}

/** apimachinery duration.HumanDuration, what kubectl shows in AGE columns. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

export function since(ts: unknown, now: number): string {
  if (typeof ts !== 'string' || ts === '') return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<invalid>';
  return humanDuration(now - t);
}

export const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
  cell: (o) => asObject(o.metadata).name ?? '',
};

export const ageColumn: TableColumn = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  cell: (o, now) => since(asObject(o.metadata).creationTimestamp, now),
};

export function column(
  name: string,
  cell: (o: JsonObject, now: number) => unknown,
  opts: { type?: string; priority?: number; description?: string; format?: string } = {},
): TableColumn {
  return {
    name,
    type: opts.type ?? 'string',
    format: opts.format ?? '',
    description: opts.description ?? name,
    priority: opts.priority ?? 0,
    cell,
  };
}

export interface PrinterColumnSpec {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** CRD additionalPrinterColumns: first JSONPath result, typed as the column says (mismatch → null). */
export function crdColumns(specs: PrinterColumnSpec[] | undefined): TableColumn[] {
  if (!specs || specs.length === 0) {
    return [
      nameColumn,
      {
        ...ageColumn,
        type: 'date',
      },
    ];
  }
  const cols: TableColumn[] = [nameColumn];
  for (const s of specs) {
    let steps: ReturnType<typeof parseJsonPath> | undefined;
    try {
      steps = parseJsonPath(s.jsonPath);
    } catch {
      steps = undefined;
    }
    cols.push({
      name: s.name,
      type: s.type,
      format: s.format ?? '',
      description: s.description ?? '',
      priority: s.priority ?? 0,
      cell: (o, now) => {
        if (!steps) return null;
        const r = evalJsonPath(steps, o);
        if (r.length === 0) return null;
        return typedCell(s.type, r[0], now);
      },
    });
  }
  return cols;
}

function typedCell(type: string, v: unknown, now: number): unknown {
  switch (type) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? v : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      return since(v, now);
    }
    default:
      return printJsonPathValue(v);
  }
}

export function columnDefinitions(cols: TableColumn[]): ColumnDefinition[] {
  return cols.map(({ name, type, format, description, priority }) => ({ name, type, format, description, priority }));
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function tableRow(cols: TableColumn[], obj: JsonObject, include: IncludeObject, now: number): JsonObject {
  const row: JsonObject = { cells: cols.map((c) => c.cell(obj, now)) };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata')
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
  return row;
}

export function buildTable(
  cols: TableColumn[],
  objs: JsonObject[],
  listMeta: JsonObject,
  include: IncludeObject,
  withHeaders: boolean,
  now = Date.now(),
): JsonObject {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders ? columnDefinitions(cols) : [],
    rows: objs.map((o) => tableRow(cols, o, include, now)),
  };
}
