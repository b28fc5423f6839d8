// The eBPF preflight read from a real `bpftool -j feature probe kernel` of this machine (trimmed to what is
// read), and from the same probe with one helper and one map type missing, as on an older kernel.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { RecordingExec } from '@egress-proxier/core/testing';
import { ebpfPreflightChecks, featureChecks } from '../src/preflight/ebpf-preflight.js';

const probe = JSON.parse(
  readFileSync(new URL('../../test/fixtures/feature-probe-kernel.json', import.meta.url), 'utf8'),
) as Parameters<typeof featureChecks>[0] & {
  helpers: Record<string, string[]>;
  map_types: Record<string, boolean>;
};

describe('eBPF preflight', () => {
  it("passes every check on this machine's kernel", () => {
    const failed = featureChecks(probe).filter((check) => !check.ok);
    expect(failed).to.deep.equal([]);
    expect(featureChecks(probe)).to.have.length(9);
  });

  it('names the missing helper and map type, with a remedy', () => {
    const older = {
      ...probe,
      map_types: { ...probe.map_types, have_lru_hash_map_type: false },
      helpers: {
        sched_cls_available_helpers: (probe.helpers['sched_cls_available_helpers'] ?? []).filter(
          (helper) => helper !== 'bpf_redirect_neigh',
        ),
      },
    };
    const failed = featureChecks(older).filter((check) => !check.ok);
    expect(failed.map((check) => check.name)).to.deep.equal([
      'map type: LRU hash (NAT entries)',
      'helper bpf_redirect_neigh (steering to the gateway node past the CNI masquerade (Linux 5.10))',
    ]);
    expect(failed.every((check) => check.remedy !== undefined && check.severity === undefined)).to.equal(
      true,
    );
  });

  it('fails every kernel check when the probe says nothing (no bpf syscall)', () => {
    expect(featureChecks({}).every((check) => !check.ok)).to.equal(true);
  });

  it('without CAP_SYS_ADMIN, checks by loading the real object into a scratch directory, then removes it', async () => {
    const exec = new RecordingExec()
      .respond('tc -V', { stdout: 'tc utility, iproute2-6.1.0' })
      .respond('bpftool -j feature probe kernel', {
        exitCode: 255,
        stdout:
          '{"error":"missing CAP_SYS_ADMIN, required for full feature probing; run as root or use \'unprivileged\'"}',
      })
      .respond('bpftool prog loadall', {});
    const trial = {
      object: '/opt/egp/egress_classify.o',
      scratchDir: '/sys/fs/bpf/egress-proxier-preflight-7',
    };
    const checks = await ebpfPreflightChecks(exec, new AbortController().signal, trial);
    expect(checks.map((check) => [check.name, check.ok])).to.deep.equal([
      ['tc (iproute2: clsact qdisc and bpf filters)', true],
      ["programs load (the kernel's verifier accepts egress_classify.o)", true],
    ]);
    expect(exec.commandLines()).to.include(
      'bpftool prog loadall /opt/egp/egress_classify.o /sys/fs/bpf/egress-proxier-preflight-7',
    );
  });

  it('names the refusal when the trial load fails', async () => {
    const exec = new RecordingExec()
      .respond('bpftool -j feature probe kernel', { exitCode: 255, stdout: 'missing CAP_SYS_ADMIN' })
      .respond('bpftool prog loadall', { exitCode: 255, stderr: 'libbpf: prog egp_classify: -EACCES' });
    const [, load] = await ebpfPreflightChecks(exec, new AbortController().signal, {
      object: '/o/egress_classify.o',
      scratchDir: '/tmp/none-such-scratch',
    });
    expect(load?.ok).to.equal(false);
    expect(load?.detail).to.include('EACCES');
    expect(load?.remedy).to.match(/CAP_BPF, CAP_PERFMON/);
  });
});
