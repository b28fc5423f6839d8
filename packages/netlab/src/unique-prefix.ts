// Test runs from several shells may overlap on one machine: a per-process suffix keeps their labs apart
// (destroyStale of a fixed prefix would otherwise delete a concurrent run's namespaces).
export function uniquePrefix(base: string): string {
  return `${base}${(process.pid % 46656).toString(36)}`;
}
