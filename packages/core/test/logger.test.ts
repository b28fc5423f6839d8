// Logs are JSON on stderr (stdout belongs to command output), or one readable line each with --log-pretty.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createLogger, silentLogger } from '../src/logging/logger.js';
import { formatLogLine } from '../src/logging/pretty-log-stream.js';

function capture(): { write(text: string): void; text: () => string } {
  const chunks: string[] = [];
  return { write: (text: string) => void chunks.push(text), text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes JSON records at or above the level', () => {
    const sink = capture();
    const logger = createLogger({ level: 'info', destination: sink });
    logger.debug('hidden');
    logger.warn({ node: 'node-a' }, 'gateway lost');
    const records = sink
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).to.have.length(1);
    expect(records[0]).to.include({ level: 40, msg: 'gateway lost', node: 'node-a' });
  });

  it('writes one readable line per record when pretty', () => {
    const sink = capture();
    const logger = createLogger({ level: 'debug', pretty: true, destination: sink });
    logger.debug({ command: 'ipset', args: ['list'], err: new Error('exit code 1: busy') }, 'exec failed');
    expect(sink.text()).to.match(
      /^\d\d:\d\d:\d\d\.\d{3} DEBUG exec failed command=ipset args=\["list"\] err="exit code 1: busy"\n$/,
    );
  });

  it('writes to stderr and leaves stdout empty by default', () => {
    const moduleUrl = new URL('../src/logging/logger.js', import.meta.url).href;
    const script = `import { createLogger } from ${JSON.stringify(moduleUrl)}; createLogger({ level: 'info' }).info('to stderr');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('');
    expect(JSON.parse(result.stderr)).to.include({ level: 30, msg: 'to stderr' });
  });

  it('silentLogger drops everything', () => {
    const logger = silentLogger();
    expect(logger.level).to.equal('silent');
    expect(logger.isLevelEnabled('fatal')).to.equal(false);
  });
});

describe('formatLogLine', () => {
  const cases: { name: string; record: Record<string, unknown>; line: string }[] = [
    {
      name: 'time, level, message, then fields',
      record: { level: 30, time: Date.UTC(2025, 0, 1, 12, 34, 56, 789), pid: 1, msg: 'synced', rules: 12 },
      line: '12:34:56.789 INFO  synced rules=12\n',
    },
    {
      name: 'quotes strings with spaces',
      record: { level: 50, time: 0, msg: 'sync failed', reason: 'iptables lock held' },
      line: '00:00:00.000 ERROR sync failed reason="iptables lock held"\n',
    },
    {
      name: 'a record without time',
      record: { level: 20, msg: 'm', node: 'node-a' },
      line: 'DEBUG m node=node-a\n',
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      expect(formatLogLine(JSON.stringify(testCase.record))).to.equal(testCase.line);
    });
  }

  it('passes non-JSON through unchanged', () => {
    expect(formatLogLine('plain text')).to.equal('plain text');
  });
});
