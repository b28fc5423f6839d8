// --dry-run: reads go through, changes are logged and skipped.
import { expect } from 'chai';
import pino from 'pino';
import { DryRunExec, isReadOnlyCommand } from '../src/exec/dry-run-exec.js';
import { RecordingExec } from '../src/testing/recording-exec.js';

describe('DryRunExec', () => {
  it('delegates read-only requests and skips the rest with a success', async () => {
    const real = new RecordingExec().respond('iptables-save', { stdout: '*nat\nCOMMIT\n' });
    const exec = new DryRunExec(
      pino({ level: 'silent' }),
      real,
      (request) => request.command === 'iptables-save',
    );
    expect((await exec.run({ command: 'iptables-save', args: ['-t', 'nat'] })).stdout).to.equal(
      '*nat\nCOMMIT\n',
    );
    const skipped = await exec.run({
      command: 'iptables-restore',
      args: ['--noflush'],
      input: '*nat\nCOMMIT\n',
    });
    expect(skipped).to.deep.equal({ exitCode: 0, stdout: '', stderr: '' });
    expect(real.commandLines()).to.deep.equal(['iptables-save -t nat']);
  });
});

describe('isReadOnlyCommand', () => {
  const cases: { line: string; input?: string; readOnly: boolean }[] = [
    { line: 'iptables-save -t nat', readOnly: true },
    { line: '/usr/sbin/ip6tables-nft-save', readOnly: true },
    { line: 'iptables -t nat -S EGRESS-PROXIER', readOnly: true },
    { line: 'iptables -t nat -L -Z', readOnly: false },
    { line: 'iptables -t nat -A POSTROUTING -j ACCEPT', readOnly: false },
    { line: 'iptables-restore --noflush', input: '*nat\nCOMMIT\n', readOnly: false },
    { line: 'ipset list -n', readOnly: true },
    { line: 'ipset save', readOnly: true },
    { line: 'ipset restore -exist', input: 'add s 1.2.3.4\n', readOnly: false },
    { line: 'ipset swap a b', readOnly: false },
    { line: 'ip -j addr show dev eth0', readOnly: true },
    { line: 'ip -f inet route get 203.0.113.1', readOnly: true },
    { line: 'ip addr add 192.0.2.10/32 dev eth0', readOnly: false },
    { line: 'ip netns exec ns1 ip addr show', readOnly: false },
    { line: 'ip -batch -', input: 'addr show\n', readOnly: false },
    { line: 'ip link set eth0 up', readOnly: false },
    { line: 'ipvsadm -S -n', readOnly: true },
    { line: 'ipvsadm -A -f 16 -s sh', readOnly: false },
    { line: 'nft list ruleset', readOnly: true },
    { line: 'nft -f -', input: 'flush ruleset\n', readOnly: false },
    { line: 'nft -j list set inet egress-proxier sent4', readOnly: true },
    { line: 'nft -t list ruleset', readOnly: true },
    { line: 'nft add element inet egress-proxier sent4 { 192.0.2.1 }', readOnly: false },
    { line: 'nft flush set inet egress-proxier sent4', readOnly: false },
    { line: 'nft -f /tmp/script', readOnly: false },
    { line: 'conntrack -L -f ipv4 --src-nat', readOnly: true },
    { line: 'conntrack -D -f ipv4 --src-nat', readOnly: false },
    { line: 'conntrack -L -D', readOnly: false },
    { line: 'conntrack -F', readOnly: false },
    { line: 'bpftool map dump pinned /sys/fs/bpf/x', readOnly: true },
    { line: 'bpftool batch file /tmp/x', readOnly: false },
    { line: 'tc filter show dev eth0 ingress', readOnly: true },
    { line: 'tc qdisc add dev eth0 clsact', readOnly: false },
    { line: 'arping -U -c 1 -I eth0 192.0.2.10', readOnly: false },
    { line: 'bridge -j fdb show dev egp-vx', readOnly: true },
    { line: 'bridge fdb append 00:00:00:00:00:00 dev egp-vx dst 192.0.2.12', readOnly: false },
    { line: 'bridge fdb del 00:00:00:00:00:00 dev egp-vx dst 192.0.2.12', readOnly: false },
    { line: 'iptables-nft -w -t nat -S EGRESS-PROXIER-CANARY', readOnly: true },
    { line: 'ip6tables-legacy -w -t nat -S POSTROUTING 1', readOnly: true },
    { line: 'iptables-nft -w -t nat -F EGRESS-PROXIER-CANARY', readOnly: false },
    { line: 'sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.eth0.rp_filter', readOnly: true },
    { line: 'sysctl -q -w net.ipv4.conf.egp-vx.rp_filter=2', readOnly: false },
    { line: 'sysctl net.ipv4.ip_forward=1', readOnly: false },
    { line: 'sysctl -p', readOnly: false },
  ];
  for (const testCase of cases) {
    it(`${testCase.line} → ${testCase.readOnly ? 'runs' : 'skipped'}`, () => {
      const [command = '', ...args] = testCase.line.split(' ');
      const request =
        testCase.input === undefined ? { command, args } : { command, args, input: testCase.input };
      expect(isReadOnlyCommand(request)).to.equal(testCase.readOnly);
    });
  }
});
