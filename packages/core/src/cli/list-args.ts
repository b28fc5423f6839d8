/** Repeatable flags that also take comma-separated lists (`--cluster-cidr a,b --cluster-cidr c`). */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}
