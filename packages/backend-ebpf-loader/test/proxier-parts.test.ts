// The proxier's pure parts: options, which device gets which program (and what changes), reading our tc
// programs from `bpftool net show`, the pin directory's preflight, map capacity, render, and the on-link check.
import type { NodeEgressTable } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { OptionsError } from '@egress-proxier/node-datapath';
import { expect } from 'chai';
import { parseNetShow } from '../src/loader/tc-programs.js';
import { assertMapsFit, MapCapacityError } from '../src/maps/map-capacity.js';
import { emptyMapsContent } from '../src/maps/desired-maps.js';
import { DEFAULT_PIN_DIR, parseOptions, PLUGIN_OPTIONS } from '../src/options.js';
import { pinDirCheck } from '../src/preflight/pin-dir-check.js';
import { desiredAttachments, planAttachments } from '../src/proxier/attach-plan.js';
import { localSources } from '../src/proxier/node-hops.js';
import { offLinkGateways } from '../src/proxier/off-link-gateways.js';
import { renderDatapath } from '../src/render/render-datapath.js';

const signal = new AbortController().signal;

describe('ebpf options', () => {
  it('defaults, and the flag at fault in errors', () => {
    expect(parseOptions({})).to.deep.equal({
      uplink: undefined,
      addressLifetimeSeconds: 60,
      announceCount: 3,
      pinDir: DEFAULT_PIN_DIR,
      natSweepSeconds: 30,
      mapVerifySeconds: 300,
      natTimeouts: { tcp: 7440, udp: 120, icmp: 60 },
    });
    expect(parseOptions({ pinDir: '/run/bpf/egp/', uplink: 'eth1' })).to.include({
      pinDir: '/run/bpf/egp',
      uplink: 'eth1',
    });
    expect(() => parseOptions({ pinDir: 'relative' })).to.throw(
      OptionsError,
      /--ebpf-pin-dir must be an absolute path/,
    );
    expect(() => parseOptions({ pinDir: '/sys/fs/bpf/egress.proxier' })).to.throw(OptionsError, /dots/);
    expect(() => parseOptions({ natSweepSeconds: 0 })).to.throw(OptionsError, /--ebpf-nat-sweep-seconds/);
    expect(parseOptions({ natUdpIdleSeconds: 300 }).natTimeouts).to.deep.equal({
      tcp: 7440,
      udp: 300,
      icmp: 60,
    });
    expect(() => parseOptions({ natIcmpIdleSeconds: 0 })).to.throw(
      OptionsError,
      /--ebpf-nat-icmp-idle-seconds/,
    );
    // Every option the parser reads is declared, so the CLI offers it as a flag.
    for (const name of [
      'natTcpIdleSeconds',
      'natUdpIdleSeconds',
      'natIcmpIdleSeconds',
      'mapVerifySeconds',
      'pinDir',
    ])
      expect(PLUGIN_OPTIONS, name).to.have.property(name);
  });

  it('refuses the kit options that mean nothing without fwmarks and routes', () => {
    expect(() => parseOptions({ steering: 'vxlan' })).to.throw(
      OptionsError,
      /--ebpf-steering does not apply/,
    );
    expect(() => parseOptions({ mark: '0x100' })).to.throw(OptionsError, /--ebpf-mark does not apply/);
  });
});

describe('ebpf attachments', () => {
  const ids = { egp_classify: 11, egp_uplink_in: 12 };

  it('classifies on pod devices and never on the uplink, which always runs egp_uplink_in', () => {
    expect([...desiredAttachments(['veth1', 'eth0', 'cbr0'], 'eth0')]).to.deep.equal([
      ['veth1', 'egp_classify'],
      ['cbr0', 'egp_classify'],
      ['eth0', 'egp_uplink_in'],
    ]);
  });

  it('attaches what is missing or of another version, detaches what is no longer wanted', () => {
    const plan = planAttachments(
      [
        { device: 'eth0', programId: 12, program: 'egp_uplink_in' },
        { device: 'veth1', programId: 5, program: 'egp_classify' }, // an older version
        { device: 'veth2', programId: 11, program: 'egp_classify' },
        { device: 'veth9', programId: 11, program: 'egp_classify' }, // its pod is gone
      ],
      desiredAttachments(['veth1', 'veth2', 'veth3'], 'eth0'),
      { ids },
    );
    expect(plan).to.deep.equal({
      attach: [
        { device: 'veth1', program: 'egp_classify' },
        { device: 'veth3', program: 'egp_classify' },
      ],
      detach: ['veth9'],
    });
  });

  it('reads only our programs at tc ingress from bpftool net show', () => {
    const json = JSON.stringify([
      {
        xdp: [],
        tc: [
          { devname: 'veth1', ifindex: 3, kind: 'clsact/ingress', name: 'egp_classify:[*fsobj]', id: 101 },
          { devname: 'eth0', ifindex: 2, kind: 'clsact/ingress', name: 'egp_uplink_in:[*fsobj]', id: 102 },
          { devname: 'eth0', ifindex: 2, kind: 'clsact/egress', name: 'egp_classify:[*fsobj]', id: 101 },
          { devname: 'lxc1', ifindex: 5, kind: 'clsact/ingress', name: 'cil_from_container', id: 7 },
        ],
        flow_dissector: [],
      },
    ]);
    expect(parseNetShow(json)).to.deep.equal([
      { device: 'veth1', programId: 101, program: 'egp_classify' },
      { device: 'eth0', programId: 102, program: 'egp_uplink_in' },
    ]);
  });
});

describe('ebpf pin directory preflight', () => {
  it('passes on a bpffs, looking at the nearest existing parent of a directory not made yet', async () => {
    const exec = new RecordingExec().respond('stat -f', {
      exitCode: 1,
      stdout: 'cafe4a11 /sys/fs/bpf\n9fa0 /sys/fs\n62656572 /sys\n794c7630 /\n',
    });
    const check = await pinDirCheck(exec, '/sys/fs/bpf/egress-proxier', signal);
    expect(check).to.include({ ok: true });
    expect(check.detail).to.match(/at \/sys\/fs\/bpf; made at the first sync/);
    expect(exec.commandLines()).to.deep.equal([
      'stat -f -c %t %n /sys/fs/bpf/egress-proxier /sys/fs/bpf /sys/fs /sys /',
    ]);
  });

  it('fails, with a remedy, when the directory is not on a bpffs', async () => {
    const exec = new RecordingExec().respond('stat -f', {
      exitCode: 1,
      stdout: '62656572 /sys\n794c7630 /\n',
    });
    const check = await pinDirCheck(exec, '/sys/fs/bpf/egress-proxier', signal);
    expect(check.ok).to.equal(false);
    expect(check.detail).to.equal('/sys is on a filesystem of type 0x62656572, not bpffs');
    expect(check.remedy).to.match(/mount -t bpf/);
  });
});

describe('ebpf map capacity', () => {
  it('refuses a table that does not fit, naming the map and the numbers', () => {
    const maps = emptyMapsContent();
    for (let i = 0; i < 16_385; i++) maps.cluster4.set(i.toString(16), '01');
    expect(() => assertMapsFit(maps)).to.throw(
      MapCapacityError,
      'egp_cluster4 needs 16385 entries, holds 16384',
    );
    expect(() => assertMapsFit(emptyMapsContent())).not.to.throw();
  });
});

const table: NodeEgressTable = {
  node: 'node-a',
  clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/48'],
  hostedEgressIPs: [{ ip: '192.0.2.100', family: 4, policies: ['db'] }],
  sourceSets: [
    { id: 'db/192.0.2.100', policy: 'db', family: 4, addresses: ['10.244.1.5', '10.244.2.7'] },
    { id: 'web/unassigned/v4', policy: 'web', family: 4, addresses: ['10.244.1.5'] },
  ],
  rules: [
    {
      policy: 'db',
      family: 4,
      sourceSet: 'db/192.0.2.100',
      destination: '203.0.113.0/24',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed',
      action: { kind: 'snat', egressIP: '192.0.2.100' },
    },
    {
      policy: 'web',
      family: 4,
      sourceSet: 'web/unassigned/v4',
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed',
      action: { kind: 'drop' },
    },
  ],
};

describe('ebpf render', () => {
  it('lists each source once as a candidate local pod', () => {
    expect(localSources(table)).to.deep.equal([
      { ip: '10.244.1.5', family: 4 },
      { ip: '10.244.2.7', family: 4 },
    ]);
  });

  it('prints the maps decoded, the attach points, the pins and the addresses', () => {
    const rendered = renderDatapath(table, { ...parseOptions({ uplink: 'eth0' }) });
    const sections = Object.fromEntries(rendered.sections.map((s) => [s.title, s.content]));
    expect(sections['bpf map egp_cluster4']).to.equal('10.244.0.0/16\n');
    expect(sections['bpf map egp_cluster6']).to.equal('fd00:10:244::/48\n');
    expect(sections['bpf map egp_policy4']).to.equal(
      [
        '10.244.1.5 → 0.0.0.0/0: drop',
        '10.244.1.5 → 203.0.113.0/24: snat to 192.0.2.100 out of eth0',
        '10.244.2.7 → 203.0.113.0/24: snat to 192.0.2.100 out of eth0',
        '',
      ].join('\n'),
    );
    expect(sections['tc attach points']).to.equal(
      "egp_classify: tc ingress of each device with a direct route to one of 10.244.1.5, 10.244.2.7 (this node's pods; the others are steered here)\negp_uplink_in: tc ingress of eth0\n",
    );
    expect(sections['bpffs pins']).to.include('/sys/fs/bpf/egress-proxier/progs/<version>/egp_classify\n');
    expect(sections['ip addr']).to.match(/^ip -4 addr replace 192\.0\.2\.100\/32 dev eth0 .*valid_lft 60/);
  });
});

describe('ebpf on-link steering check', () => {
  const steerTo = (node: string, nodeIP: string): NodeEgressTable['rules'][number] => ({
    policy: node,
    family: nodeIP.includes(':') ? 6 : 4,
    sourceSet: `${node}/x`,
    destination: nodeIP.includes(':') ? '::/0' : '0.0.0.0/0',
    excludedCIDRs: [],
    failurePolicy: 'FailOpen',
    action: { kind: 'steer', egressIP: '192.0.2.100', gateway: { node, nodeIP } },
  });
  const uplink = (local: string, prefixLength: number) => ({
    device: 'eth0',
    family: local.includes(':') ? (6 as const) : (4 as const),
    local,
    prefixLength,
    label: undefined,
    dynamic: false,
    nodad: false,
  });

  it('names the gateways no subnet of the uplink holds, once each', () => {
    const steering: NodeEgressTable = {
      ...table,
      rules: [
        steerTo('node-b', '192.0.2.12'),
        steerTo('node-b', '192.0.2.12'),
        steerTo('node-c', '198.51.100.7'),
        steerTo('node-b', '2001:db8:2::12'),
        steerTo('node-d', '2001:db8:9::4'),
      ],
    };
    expect(offLinkGateways(steering, [uplink('192.0.2.11', 24), uplink('2001:db8:2::11', 64)])).to.deep.equal(
      [
        { node: 'node-c', nodeIP: '198.51.100.7' },
        { node: 'node-d', nodeIP: '2001:db8:9::4' },
      ],
    );
  });
});
