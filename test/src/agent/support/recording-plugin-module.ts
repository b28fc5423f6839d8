// A backend module loadable with `--backend <path>`, as a third-party plugin would be: it records the
// tables it gets in a global, so a test can read what `egress-proxier run` programmed.
import { ALL_CAPABILITIES, type NodeEgressTable, type NodeProxierPlugin } from '@egress-proxier/core';

export const recordedTables: NodeEgressTable[] = [];

const plugin: NodeProxierPlugin = {
  name: 'recording',
  description: 'records tables (tests)',
  scope: 'node',
  capabilities: ALL_CAPABILITIES,
  options: {
    label: { type: 'string', description: 'a backend option, to check --recording-label reaches the plugin' },
  },
  create: (context) => ({
    sync: async (table) => {
      recordedTables.push({ ...table, node: `${table.node}:${String(context.options.label)}` });
      return { changed: true };
    },
    cleanup: async () => undefined,
  }),
  render: () => ({ sections: [] }),
};

export default plugin;
