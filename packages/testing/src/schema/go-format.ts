// How Go prints the values field errors carry (fmt %v, %q and encoding/json), so messages read exactly as
// kube-apiserver's do.

/** fmt's %v of a float64: %g with the shortest digits, exponent form below 1e-4 and from 1e6 up. */
export function goFloat(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 6) return String(value);
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** How a JSON number prints as a bad value: integers decode to int64 (plain), others to float64. */
export function goNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : goFloat(value);
}

/** fmt's %q of a string: JSON escaping is the same for the printable text these messages carry. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** encoding/json's Marshal: object keys sorted, and <, >, & escaped as the HTML-safe default does. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
