// The difference between the maps' content and the desired one, its batch lines, and one exec per sync.
import { existsSync, readFileSync } from 'node:fs';
import { DryRunExec } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { CommandRunner } from '@egress-proxier/node-datapath';
import { expect } from 'chai';
import pino from 'pino';
import { BatchError, deleteLine, runBatch, updateLine } from '../src/maps/batch-file.js';
import { emptyMapsContent } from '../src/maps/desired-maps.js';
import { diffMap } from '../src/maps/map-diff.js';
import { syncMaps } from '../src/maps/map-sync.js';

const signal = new AbortController().signal;
const dump = (entries: [string, string][]) =>
  JSON.stringify(
    entries.map(([key, value]) => ({
      key: key.match(/../g)?.map((byte) => `0x${byte}`),
      value: value.match(/../g)?.map((byte) => `0x${byte}`),
    })),
  );
const key4 = (last: string) => `20000000` + `0af401${last}` + '00000000';
const pass = '00'.repeat(40);
const drop = '01000000' + '00'.repeat(36);

describe('ebpf map diff and batch', () => {
  it('diff: new and changed keys are updates, gone keys deletes, equal keys nothing', () => {
    const current = new Map([
      ['aa', '01'],
      ['bb', '02'],
      ['cc', '03'],
    ]);
    const desired = new Map([
      ['aa', '01'],
      ['bb', '09'],
      ['dd', '04'],
    ]);
    expect(diffMap(current, desired)).to.deep.equal({
      updates: [
        ['bb', '09'],
        ['dd', '04'],
      ],
      deletes: ['cc'],
    });
    expect(diffMap(desired, new Map(desired))).to.deep.equal({ updates: [], deletes: [] });
    // A changed key is overwritten, never deleted and re-added.
    expect(diffMap(new Map([['aa', '01']]), new Map([['aa', '02']])).deletes).to.deep.equal([]);
  });

  it('batch lines: bpftool hex bytes, pinned paths', () => {
    expect(updateLine('/sys/fs/bpf/egp/egp_cluster4', '100000000af40000', '01')).to.equal(
      'map update pinned /sys/fs/bpf/egp/egp_cluster4 key hex 10 00 00 00 0a f4 00 00 value hex 01',
    );
    expect(deleteLine('/sys/fs/bpf/egp/egp_cluster4', '100000000af40000')).to.equal(
      'map delete pinned /sys/fs/bpf/egp/egp_cluster4 key hex 10 00 00 00 0a f4 00 00',
    );
    expect(() => deleteLine('/tmp/a b', '00')).to.throw(/cannot go in a batch line/);
  });

  it('no lines, no exec; lines go in one `bpftool -j batch file` whose file is removed after', async () => {
    const exec = new RecordingExec();
    let seen = '';
    exec.respond('bpftool -j batch file', (request) => {
      seen = readFileSync(String(request.args[3]), 'utf8');
      return {};
    });
    const runner = new CommandRunner(exec, signal);
    expect(await runBatch(runner, [])).to.equal(0);
    expect(exec.calls).to.have.length(0);
    const lines = [updateLine('/p/m', 'aa', '01'), deleteLine('/p/m', 'bb')];
    expect(await runBatch(runner, lines)).to.equal(1);
    expect(exec.commandLines()).to.have.length(1);
    expect(seen).to.equal(lines.join('\n') + '\n');
    expect(existsSync(String(exec.calls[0]?.args[3]))).to.equal(false);
  });

  it('a failing line: names it, says what was applied, removes the file', async () => {
    const exec = new RecordingExec().failNext('bpftool -j batch file', {
      exitCode: 254,
      // bpftool -j batch: the commands it ran, the failing one last (captured from bpftool v7.1).
      stdout: JSON.stringify([
        { command: ['map', 'update'], output: null },
        { command: ['map', 'delete'], output: { error: 'delete failed: No such file or directory' } },
      ]),
    });
    const lines = [updateLine('/p/m', 'aa', '01'), deleteLine('/p/m', 'bb'), updateLine('/p/m', 'cc', '01')];
    const error = await runBatch(new CommandRunner(exec, signal), lines).catch((failure: unknown) => failure);
    expect(error).to.be.instanceOf(BatchError);
    expect(String(error)).to.include('stopped at line 2 of 3 (delete failed: No such file or directory)');
    expect(String(error)).to.include('map delete pinned /p/m key hex bb; the 1 lines before it were applied');
    expect(existsSync(String(exec.calls[0]?.args[3]))).to.equal(false);
  });

  it('sync: four reads, then the difference in order (cluster additions first, cluster deletions last)', async () => {
    const exec = new RecordingExec();
    const pins = '/sys/fs/bpf/egp';
    exec.respond('bpftool -j map dump pinned', { stdout: '[]' });
    exec.respond(`bpftool -j map dump pinned ${pins}/egp_policy4`, {
      stdout: dump([
        [key4('05'), pass],
        [key4('06'), pass],
      ]),
    });
    exec.respond(`bpftool -j map dump pinned ${pins}/egp_cluster4`, {
      stdout: dump([['080000000a000000', '01']]),
    });
    let batch = '';
    exec.respond('bpftool -j batch file', (request) => {
      batch = readFileSync(String(request.args[3]), 'utf8');
      return {};
    });
    const desired = emptyMapsContent();
    desired.policy4.set(key4('05'), pass).set(key4('06'), drop).set(key4('07'), drop);
    desired.cluster4.set('100000000af40000', '01');
    const report = await syncMaps(new CommandRunner(exec, signal), pins, desired);
    expect(report).to.include({ lines: 4, batchExecs: 1 });
    expect(batch.trimEnd().split('\n')).to.deep.equal([
      updateLine(`${pins}/egp_cluster4`, '100000000af40000', '01'),
      updateLine(`${pins}/egp_policy4`, key4('06'), drop),
      updateLine(`${pins}/egp_policy4`, key4('07'), drop),
      deleteLine(`${pins}/egp_cluster4`, '080000000a000000'),
    ]);
    expect(exec.commandLines().filter((line) => line.includes('map dump'))).to.have.length(4);

    exec.clearCalls();
    const again = await syncMaps(new CommandRunner(exec, signal), pins, emptyMapsContent());
    expect(again).to.include({ lines: 3, batchExecs: 1 });
  });

  it('sync with nothing to change runs no batch; under --dry-run the reads run and the batch is skipped', async () => {
    const exec = new RecordingExec().respond('bpftool -j map dump pinned', { stdout: '[]' });
    const idle = await syncMaps(new CommandRunner(exec, signal), '/p', emptyMapsContent());
    expect(idle).to.include({ lines: 0, batchExecs: 0 });
    expect(exec.commandLines().every((line) => line.includes('map dump'))).to.equal(true);

    exec.clearCalls();
    const dryRun = new DryRunExec(pino({ level: 'silent' }), exec);
    const desired = emptyMapsContent();
    desired.cluster4.set('100000000af40000', '01');
    const report = await syncMaps(new CommandRunner(dryRun, signal), '/p', desired);
    expect(report).to.include({ lines: 1, batchExecs: 1 });
    expect(exec.commandLines()).to.have.length(4);
    expect(exec.commandLines().every((line) => line.includes('map dump'))).to.equal(true);
  });
});
