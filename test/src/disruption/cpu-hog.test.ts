// The CPU hog must never outlive its test: stopped by PID after the body, also when the body throws.
import { expect } from 'chai';
import { startCpuHog, withCpuHog } from './cpu-hog.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CPU hog', () => {
  it('starts the requested number of busy processes and stops them by PID', async () => {
    const hog = await startCpuHog(2);
    expect(hog.pids).to.have.length(2);
    expect(hog.pids.every(alive), 'every hog process runs').to.equal(true);
    await hog.stop();
    expect(hog.pids.filter(alive), 'hog processes still running after stop()').to.deep.equal([]);
    await hog.stop();
  });

  it('withCpuHog stops the hog also when the body throws', async () => {
    let pids: readonly number[] = [];
    const error = await withCpuHog(true, async (hog) => {
      pids = hog?.pids ?? [];
      expect(pids.every(alive), 'every hog process runs during the body').to.equal(true);
      throw new Error('the scenario failed');
    }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error).with.property('message', 'the scenario failed');
    expect(pids.length, 'one hog process per core').to.be.greaterThan(0);
    expect(pids.filter(alive), 'hog processes still running').to.deep.equal([]);
  });

  it('withCpuHog(false) runs the body without a hog', async () => {
    expect(await withCpuHog(false, async () => 42)).to.equal(42);
  });
});
