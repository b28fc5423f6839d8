// A test process that boots a guest and never shuts it down (guest-failures.test.ts): with "exit" it calls
// process.exit when its stdin closes, with "hold" it waits to be killed. Prints {"runDir","pids"} when the
// guest is up. Exiting only on the parent's word lets the parent see both processes alive first.
import { GuestMachine } from '../../src/guest/index.js';

const machine = await GuestMachine.boot({ name: 'guest-left' });
const { qemu, virtiofsd } = machine.hostPids;
process.stdout.write(`${JSON.stringify({ runDir: machine.runDir, pids: [qemu, virtiofsd] })}\n`);
if (process.argv[2] === 'exit') process.stdin.once('end', () => process.exit(0)).resume();
setInterval(() => undefined, 60_000);
