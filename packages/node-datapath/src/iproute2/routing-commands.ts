// `ip rule` / `ip route` argument vectors for steering: one fwmark rule and one table per gateway slot.
import type { IPFamily } from '@egress-proxier/core';
import type { Command } from '../exec/command.js';
import { hex } from '../options/option-reader.js';
import type { PolicyRuleKey, SteeringRoute } from '../steering/steering-route.js';

export function ruleAdd(rule: PolicyRuleKey): Command {
  return { command: 'ip', args: [`-${rule.family}`, 'rule', 'add', ...ruleSelector(rule)] };
}

export function ruleDelete(rule: PolicyRuleKey): Command {
  return { command: 'ip', args: [`-${rule.family}`, 'rule', 'del', ...ruleSelector(rule)] };
}

function ruleSelector(rule: PolicyRuleKey): string[] {
  return [
    'fwmark',
    `${hex(rule.mark)}/${hex(rule.mask)}`,
    'lookup',
    String(rule.table),
    'priority',
    String(rule.priority),
  ];
}

export function routeReplace(route: SteeringRoute): Command {
  if (route.type === 'local') {
    const args = [`-${route.family}`, 'route', 'replace', 'local', 'default', 'dev', 'lo'];
    return { command: 'ip', args: [...args, 'table', String(route.table)] };
  }
  const args = [`-${route.family}`, 'route', 'replace', 'default', 'via', route.via, 'dev', route.device];
  return { command: 'ip', args: [...args, 'onlink', 'table', String(route.table)] };
}

/** Lets the tunnel's own (marked) packets to the gateway fall through to the main table. */
export function throwRouteReplace(family: IPFamily, endpoint: string, table: number): Command {
  const cidr = `${endpoint}/${family === 4 ? 32 : 128}`;
  return { command: 'ip', args: [`-${family}`, 'route', 'replace', 'throw', cidr, 'table', String(table)] };
}

export function throwRouteDelete(family: IPFamily, destination: string, table: number): Command {
  return {
    command: 'ip',
    args: [`-${family}`, 'route', 'del', 'throw', destination, 'table', String(table)],
  };
}

export function routeFlush(family: IPFamily, table: number): Command {
  return { command: 'ip', args: [`-${family}`, 'route', 'flush', 'table', String(table)] };
}
