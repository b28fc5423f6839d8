// Many `ip` commands as one `ip -batch -` run (a gateway may hold thousands of egress addresses: one exec each
// took ~5 ms, 10 s for 2,000). The family flag goes: in batch lines the address itself says the family.
import { commandLine, type Command } from './command.js';

export function ipBatch(commands: readonly Command[]): { command: Command; input: string } {
  const lines = commands.map((command) => {
    if (command.command !== 'ip') throw new Error(`not an ip command: ${commandLine(command)}`);
    const args = command.args[0] === '-4' || command.args[0] === '-6' ? command.args.slice(1) : command.args;
    return `${args.join(' ')}\n`;
  });
  return { command: { command: 'ip', args: ['-batch', '-'] }, input: lines.join('') };
}
