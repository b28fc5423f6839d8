// Runtime check of what a plugin module exported: the TypeScript contract cannot protect the core from a
// plain-JS plugin, a stale build or a module that exports something else entirely.
import { ALL_CAPABILITIES, type ProxierCapability } from './capabilities.js';
import type { ProxierPlugin } from './proxier.js';

/** Lowercase letters, digits and dashes, starting with a letter: safe in `--<name>-<option>` flags. */
const NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** camelCase or dashed, starting with a lowercase letter; the CLI spells it `--<plugin>-<dashed-option>`. */
const OPTION_NAME_PATTERN = /^[a-z][a-zA-Z0-9-]{0,62}$/;
const OPTION_TYPES = ['string', 'number', 'boolean'];

export type PluginValidation = { plugin: ProxierPlugin } | { problems: string[] };

/** Every problem with `value` as a ProxierPlugin, or the plugin when there is none. */
export function validateProxierPlugin(value: unknown): PluginValidation {
  if (!isRecord(value)) return { problems: [`expected an object, got ${describe(value)}`] };
  const problems: string[] = [];
  const { name, description, scope, capabilities, create, render, options } = value;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    problems.push(
      `name: must be lowercase letters, digits and dashes starting with a letter, got ${describe(name)}`,
    );
  }
  if (typeof description !== 'string')
    problems.push(`description: must be a string, got ${describe(description)}`);
  if (scope !== 'node' && scope !== 'cluster')
    problems.push(`scope: must be "node" or "cluster", got ${describe(scope)}`);
  problems.push(...capabilityProblems(capabilities));
  if (typeof create !== 'function') problems.push(`create: must be a function, got ${describe(create)}`);
  if (typeof render !== 'function') problems.push(`render: must be a function, got ${describe(render)}`);
  if (value.companion !== undefined && typeof value.companion !== 'function') {
    problems.push(`companion: must be a function when present, got ${describe(value.companion)}`);
  }
  if (value.preflight !== undefined && typeof value.preflight !== 'function') {
    problems.push(`preflight: must be a function when present, got ${describe(value.preflight)}`);
  }
  if (options !== undefined) problems.push(...optionsProblems(options));
  return problems.length === 0 ? { plugin: value as unknown as ProxierPlugin } : { problems };
}

function capabilityProblems(capabilities: unknown): string[] {
  if (!Array.isArray(capabilities)) return [`capabilities: must be a list, got ${describe(capabilities)}`];
  const problems: string[] = [];
  const seen = new Set<unknown>();
  capabilities.forEach((capability: unknown, index) => {
    if (!ALL_CAPABILITIES.includes(capability as ProxierCapability)) {
      problems.push(
        `capabilities[${index}]: unknown capability ${describe(capability)} (known: ${ALL_CAPABILITIES.join(', ')})`,
      );
    } else if (seen.has(capability)) {
      problems.push(`capabilities[${index}]: duplicate ${describe(capability)}`);
    }
    seen.add(capability);
  });
  return problems;
}

function optionsProblems(options: unknown): string[] {
  if (!isRecord(options))
    return [`options: must be an object of option definitions, got ${describe(options)}`];
  const problems: string[] = [];
  for (const [optionName, definition] of Object.entries(options)) {
    const path = `options.${optionName}`;
    if (!OPTION_NAME_PATTERN.test(optionName)) {
      problems.push(
        `${path}: option names must be letters, digits and dashes starting with a lowercase letter`,
      );
    }
    if (!isRecord(definition)) {
      problems.push(`${path}: must be an object with type and description, got ${describe(definition)}`);
      continue;
    }
    const { type, description, default: defaultValue, choices } = definition;
    if (typeof type !== 'string' || !OPTION_TYPES.includes(type)) {
      problems.push(`${path}.type: must be one of ${OPTION_TYPES.join(', ')}, got ${describe(type)}`);
      continue;
    }
    if (typeof description !== 'string') problems.push(`${path}.description: must be a string`);
    if (defaultValue !== undefined && typeof defaultValue !== type) {
      problems.push(`${path}.default: must be a ${type}, got ${describe(defaultValue)}`);
    }
    if (choices !== undefined) {
      if (type !== 'string') problems.push(`${path}.choices: only string options may have choices`);
      else if (
        !Array.isArray(choices) ||
        choices.length === 0 ||
        !choices.every((c) => typeof c === 'string')
      ) {
        problems.push(`${path}.choices: must be a non-empty list of strings`);
      } else if (typeof defaultValue === 'string' && !choices.includes(defaultValue)) {
        problems.push(`${path}.default: "${defaultValue}" is not one of the choices (${choices.join(', ')})`);
      }
    }
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
