// The eBPF preflight read from a real `bpftool -j feature probe kernel` of this machine (trimmed to what is
// read), and from the same probe with one helper and one map type missing, as on an older kernel.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { featureChecks } from '../src/preflight/ebpf-preflight.js';

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
});
