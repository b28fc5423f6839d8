import type { JsonObject } from '../api/kube-object.js';
import type { CustomResourceSchema } from '../schema/custom-resource.js';

/** One `additionalPrinterColumns` entry (CRDs) or a built-in column. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** What the server knows about one resource at one group/version: routing, discovery, semantics. */
export interface ResourceKind {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** True when `/status` is a subresource: the main endpoint then ignores status changes. */
  hasStatusSubresource: boolean;
  /** What create does with a client-sent status, as the kind's registry strategy does. */
  statusOnCreate: 'keep' | 'drop' | { reset: JsonObject };
  /** Columns for Table output; `undefined` means the generic NAME/AGE table. */
  printerColumns?: PrinterColumn[];
  /** Built-in row renderer for kinds whose columns are computed (pods' READY, STATUS…). */
  tableRow?: 'pod';
  /** Set for kinds that come from a CustomResourceDefinition, to remove them with it. */
  crdName?: string;
  /** The CRD version's structural schema: writes are pruned, defaulted and validated against it. */
  schema?: CustomResourceSchema;
  /** Strategic merge keys per list field name (candidates in order), e.g. containers → name. */
  mergeKeys?: Readonly<Record<string, readonly string[]>>;
}

export const standardVerbs = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export function apiVersionOf(kind: Pick<ResourceKind, 'group' | 'version'>): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** Storage identity: all versions of one group/resource share objects. */
export function storageKey(kind: Pick<ResourceKind, 'group' | 'plural'>): string {
  return `${kind.plural}.${kind.group}`;
}
