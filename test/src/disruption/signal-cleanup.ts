// Ctrl-C on mocha or the soak must not leave a cluster behind: mocha exits on SIGINT without running `after`
// hooks, and the agents and API server, children started through `ip netns exec`, would outlive it together
// with their namespaces. Until the returned function is called, SIGINT and SIGTERM run `cleanup` first and
// then exit with 130.
export function cleanupOnSignal(cleanup: () => Promise<void>): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: removing the disruption cluster before exiting\n`);
    void cleanup()
      .catch((error: unknown) => process.stderr.write(`cleanup failed: ${String(error)}\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
