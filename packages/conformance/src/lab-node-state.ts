// Host state of each lab node's own, for backends that keep files (plugin.labNode): lab nodes are network
// namespaces of one host and share its filesystem, while each stands for a machine of its own. Every node
// gets an empty directory; the backend's hook turns it into option values (e.g. a bpffs mount and a pin
// directory on it). `release` undoes the hooks and removes the directories, also after a failure.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exec, LabNodeSetup, NodeProxierPlugin, PluginOptionValues } from '@egress-proxier/core';
import type { Lab } from '@egress-proxier/netlab';

export class LabNodeState {
  private readonly setups = new Map<string, { dir: string; setup: LabNodeSetup; before: string[] }>();

  /** The node's option values (the shared ones with the hook's on top). */
  options(node: string, shared: PluginOptionValues): PluginOptionValues {
    return { ...shared, ...this.setups.get(node)?.setup.options };
  }

  async prepare(lab: Lab, plugin: NodeProxierPlugin): Promise<void> {
    if (plugin.labNode === undefined) return;
    const exec = hostExec(lab);
    for (const node of lab.nodes) {
      const dir = await mkdtemp(join(tmpdir(), `egp-${node.name}-`));
      try {
        const setup = await plugin.labNode(dir, exec);
        this.setups.set(node.name, { dir, setup, before: await listFiles(dir) });
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  /** Files in a node's directory that were not there before the first sync, e.g. pins left by cleanup. */
  async leftovers(node: string): Promise<string[]> {
    const entry = this.setups.get(node);
    if (entry === undefined) return [];
    return (await listFiles(entry.dir)).filter((file) => !entry.before.includes(file));
  }

  /** Releases every node's state, even when one release fails (then throws naming each failure). */
  async release(): Promise<void> {
    const failures: string[] = [];
    for (const [node, { dir, setup }] of this.setups) {
      try {
        await setup.release();
        await rm(dir, { recursive: true, force: true });
      } catch (error) {
        failures.push(`${node} (${dir}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.setups.clear();
    if (failures.length > 0) throw new Error(`releasing lab state failed: ${failures.join('; ')}`);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

function hostExec(lab: Lab): Exec {
  return {
    async run(request) {
      return lab.host.run(request.command, request.args, {
        ...(request.input === undefined ? {} : { input: request.input }),
      });
    },
  };
}
