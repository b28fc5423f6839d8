// Reads raw plugin option values (CLI flags, config) into typed ones. Every error names the flag as the user
// typed it: `--<backend>-<option-in-kebab-case>`, so each backend passes its own prefix.
import type { PluginOptionValues } from '@egress-proxier/core';

export class OptionsError extends Error {
  override name = 'OptionsError';
}

export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

export class OptionReader {
  constructor(
    private readonly values: PluginOptionValues,
    /** The backend's name, e.g. `iptables` for `--iptables-mark`. */
    private readonly backend: string,
  ) {}

  /** How the user spells the option `name` on the command line. */
  flag(name: string): string {
    return `--${this.backend}-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  }

  /** Whether the option was given at all (an empty string counts as not given). */
  given(name: string): boolean {
    const value = this.values[name];
    return value !== undefined && value !== '';
  }

  optionalString(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new OptionsError(`${this.flag(name)} must be a string`);
    return value;
  }

  integer(name: string, fallback: number): number {
    const value = this.values[name];
    if (value === undefined || value === '') return fallback;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' ? parseInteger(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < 0) {
      throw new OptionsError(
        `${this.flag(name)} ${JSON.stringify(value)} must be a non-negative integer (hex like 0x100000 or decimal without leading zeros)`,
      );
    }
    return parsed;
  }

  ranged(name: string, fallback: number, min: number, max: number): number {
    const parsed = this.integer(name, fallback);
    if (parsed < min || parsed > max)
      throw new OptionsError(`${this.flag(name)} ${parsed} must be from ${min} to ${max}`);
    return parsed;
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.values[name];
    if (value === undefined || value === '') return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    throw new OptionsError(`${this.flag(name)} must be one of ${allowed.join(', ')}`);
  }

  deviceName(name: string, device: string): string {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(device)) {
      throw new OptionsError(`${this.flag(name)} "${device}" is not a valid device name (1-15 characters)`);
    }
    return device;
  }
}

/** Hex or decimal; `010` is refused because iproute2 and iptables read it as octal 8, not 10. */
function parseInteger(text: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^(0|[1-9]\d*)$/.test(text)) return Number(text);
  return NaN;
}
