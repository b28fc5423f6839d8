// The gateway nodes a table steers to, and the table with steering to some of them withheld.
import type { EgressRule, NodeEgressTable } from '@egress-proxier/core';

export function steeredGateways(table: NodeEgressTable): string[] {
  const nodes = table.rules.flatMap((rule) =>
    rule.action.kind === 'steer' ? [rule.action.gateway.node] : [],
  );
  return [...new Set(nodes)].sort();
}

/**
 * The table with every steer rule toward `gateways` turned into a drop: what a node may program while those
 * gateways have no slot yet. Dropping is the one action that can never send a packet out with a wrong source.
 */
export function dropSteeringTo(table: NodeEgressTable, gateways: readonly string[]): NodeEgressTable {
  if (gateways.length === 0) return table;
  const withheld = new Set(gateways);
  const rules = table.rules.map((rule): EgressRule =>
    rule.action.kind === 'steer' && withheld.has(rule.action.gateway.node)
      ? { ...rule, action: { kind: 'drop' } }
      : rule,
  );
  return { ...table, rules };
}
