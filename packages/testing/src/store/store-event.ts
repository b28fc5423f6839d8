import type { StoredObject } from '../api/kube-object.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change; `previous` lets watches turn selector transitions into ADDED/DELETED. */
export interface StoreEvent {
  type: StoreEventType;
  resourceVersion: number;
  storageKey: string;
  object: StoredObject;
  previous?: StoredObject;
}
