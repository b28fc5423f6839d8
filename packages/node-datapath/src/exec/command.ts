// One invocation of a kernel tool as an argument vector: what the runner executes and `render` prints.

export interface Command {
  command: string;
  args: string[];
}

export function commandLine(command: Command): string {
  return [command.command, ...command.args].join(' ');
}
