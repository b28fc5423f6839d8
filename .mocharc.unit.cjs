// `npm run test:unit`: the tests that need neither root nor kernel tools nor network namespaces (the
// real-kernel suites, the netns lab, the disruption suite and the demo are left out). `npm test` runs all.
const base = require('./.mocharc.cjs');

module.exports = {
  ...base,
  ignore: [
    'packages/*/dist/test/**/kernel-*.test.js',
    'test/dist/**/kernel-*.test.js',
    'packages/netlab/dist/test/**/*.test.js',
    'test/dist/disruption/**/*.test.js',
    'test/dist/demo/**/*.test.js',
  ],
};
