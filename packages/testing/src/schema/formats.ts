// The string formats the served CRDs use, checked as kube-openapi's strfmt registry checks them.
import { parsePrefix } from './net/netip.js';

// strfmt's DateTime layouts: RFC 3339 with optional fractions, also without seconds' zone colon, and
// ISO 8601 local times (no zone) and the "universal sortable" form with a space.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** False when `value` is not of `format`; formats without a string check (int32, int64) pass. */
export function matchesFormat(format: string, value: string): boolean {
  switch (format) {
    case 'date-time':
      return DATE_TIME.test(value);
    case 'cidr':
      // Go's net.ParseCIDR: host bits may be set; the address parser is netip's.
      return 'ok' in parsePrefix(value);
    default:
      return true;
  }
}
