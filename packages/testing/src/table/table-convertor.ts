import type { JsonObject, JsonValue, StoredObject } from '../api/kube-object.js';
import type { PrinterColumn, ResourceKind } from '../kinds/resource-kind.js';
import type { ColumnDefinition } from './column-definition.js';
import { ageOf } from './human-duration.js';
import { evaluateJsonPath } from './jsonpath.js';
import { podCells, podColumns } from './pod-columns.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

type Cell = JsonValue;

const nameColumn: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Cannot be updated.',
  priority: 0,
};

const ageColumn: ColumnDefinition = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
};

/** A CRD without printer columns gets Name + Age, as the apiextensions server defaults them. */
const defaultCrdColumns: PrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

function definitionOf(column: PrinterColumn): ColumnDefinition {
  return {
    name: column.name,
    type: column.type,
    format: column.format ?? '',
    description: column.description ?? '',
    priority: column.priority ?? 0,
  };
}

/** One custom column cell, following the apiextensions table convertor: first match only. */
function customCell(column: PrinterColumn, object: StoredObject, now: Date): Cell {
  let matches: JsonValue[];
  try {
    matches = evaluateJsonPath(column.jsonPath, object as unknown as JsonValue);
  } catch {
    return null;
  }
  const value = matches[0];
  if (value === undefined || value === null) return null;
  switch (column.type) {
    case 'date':
      return ageOf(value, now);
    case 'integer':
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function rowObject(object: StoredObject, include: IncludeObject): JsonObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return object as unknown as JsonObject;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: object.metadata as JsonObject,
  };
}

/** Builds the `Table` kubectl prints: columns from the CRD, the pod printer, or a generic NAME/AGE. */
export function toTable(
  kind: ResourceKind,
  objects: StoredObject[],
  resourceVersion: string,
  include: IncludeObject,
  now: Date,
  withColumns = true,
): JsonObject {
  let columns: ColumnDefinition[];
  let cells: (o: StoredObject) => Cell[];
  if (kind.tableRow === 'pod') {
    columns = podColumns;
    cells = (o) => podCells(o, now);
  } else if (kind.crdName) {
    const custom = kind.printerColumns ?? defaultCrdColumns;
    columns = [nameColumn, ...custom.map(definitionOf)];
    cells = (o) => [o.metadata.name, ...custom.map((c) => customCell(c, o, now))];
  } else {
    columns = [nameColumn, ageColumn];
    cells = (o) => [o.metadata.name, ageOf(o.metadata.creationTimestamp, now)];
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withColumns ? (columns as unknown as JsonObject[]) : null,
    rows: objects.map((o) => {
      const row: JsonObject = { cells: cells(o) };
      const embedded = rowObject(o, include);
      if (embedded) row['object'] = embedded;
      return row;
    }),
  };
}
