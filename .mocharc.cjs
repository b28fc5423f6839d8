// Every package's compiled tests plus the cross-package end-to-end suites in test/.
module.exports = {
  spec: ['packages/*/dist/test/**/*.test.js', 'test/dist/**/*.test.js'],
  reporter: require.resolve('./scripts/mocha-summary-reporter.cjs'),
  timeout: 20000,
  exit: true,
};
