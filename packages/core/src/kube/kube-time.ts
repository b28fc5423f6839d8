// metav1.Time as the API serializes it: RFC 3339 in whole seconds (condition transition times, event
// timestamps). Sub-second digits would make a status we write differ from the same status read back.
export function metav1Time(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d+Z$/, 'Z');
}
