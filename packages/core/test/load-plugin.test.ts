// Loading backends by built-in name, module name or path, with the errors a user sees when it goes wrong.
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadProxierPlugin,
  PluginLoadError,
  resolvePluginSource,
  type ModuleImporter,
} from '../src/plugin/load-plugin.js';
import { BUILT_IN_BACKENDS } from '../src/plugin/built-in-backends.js';

// Tests run from dist/test; the fixtures are plain JS kept in the source tree.
const fixturesDir = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

async function loadError(promise: Promise<unknown>): Promise<PluginLoadError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(PluginLoadError);
    return error as PluginLoadError;
  }
  throw new Error('expected loading to fail');
}

/** What Node's ESM loader throws for a missing package. */
function moduleNotFound(name: string): Error {
  return Object.assign(
    new Error(`Cannot find package '${name}' imported from /app/dist/src/plugin/load-plugin.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
}

const validPlugin = {
  name: 'ipvs',
  description: 'IPVS fwmark backend',
  scope: 'node',
  capabilities: ['sharedAddress'],
  create: () => ({}),
  render: () => ({ sections: [] }),
};

describe('resolvePluginSource', () => {
  const cases: { value: string; expected: ReturnType<typeof resolvePluginSource> }[] = [
    {
      value: 'iptables',
      expected: { kind: 'built-in', name: 'iptables', specifier: '@egress-proxier/backend-iptables' },
    },
    {
      value: 'ebpf',
      expected: { kind: 'built-in', name: 'ebpf', specifier: '@egress-proxier/backend-ebpf-loader' },
    },
    { value: 'acme-egress', expected: { kind: 'module', specifier: 'acme-egress' } },
    { value: '@acme/egress/backend', expected: { kind: 'module', specifier: '@acme/egress/backend' } },
    { value: 'constructor', expected: { kind: 'module', specifier: 'constructor' } },
    {
      value: './p.mjs',
      expected: { kind: 'path', path: '/srv/plugins/p.mjs', specifier: 'file:///srv/plugins/p.mjs' },
    },
    {
      value: '/opt/x y.js',
      expected: { kind: 'path', path: '/opt/x y.js', specifier: 'file:///opt/x%20y.js' },
    },
  ];
  for (const { value, expected } of cases) {
    it(`${value} → ${expected.kind} ${expected.specifier}`, () => {
      expect(resolvePluginSource(value, BUILT_IN_BACKENDS, '/srv/plugins')).to.deep.equal(expected);
    });
  }
});

describe('loadProxierPlugin', () => {
  it('loads a default-exported plugin from a path relative to cwd', async () => {
    const plugin = await loadProxierPlugin('./valid-plugin.mjs', { cwd: fixturesDir });
    expect(plugin.name).to.equal('fixture-backend');
    expect(plugin.scope).to.equal('node');
    expect(plugin.capabilities).to.deep.equal(['sharedAddress', 'destinationCIDRs']);
  });

  it('loads a plugin exported as `plugin` from an absolute path', async () => {
    const plugin = await loadProxierPlugin(path.join(fixturesDir, 'named-plugin.mjs'));
    expect(plugin.name).to.equal('named-fixture');
    expect(plugin.scope).to.equal('cluster');
  });

  it('loads a package directory through its package.json entry, as npm would name it', async () => {
    const plugin = await loadProxierPlugin('./package-plugin', { cwd: fixturesDir });
    expect(plugin.name).to.equal('package-fixture');
    const absolute = await loadProxierPlugin(path.join(fixturesDir, 'package-plugin'));
    expect(absolute.name).to.equal('package-fixture');
  });

  it('refuses a module that exports garbage and lists what is wrong', async () => {
    const error = await loadError(loadProxierPlugin('./not-a-plugin.mjs', { cwd: fixturesDir }));
    expect(error.message).to.contain(
      'module ./not-a-plugin.mjs does not export an egress-proxier plugin (expected default export or `plugin` with name, scope, capabilities, create, render)',
    );
    expect(error.message).to.contain('scope: must be "node" or "cluster", got "everywhere"');
    expect(error.message).to.contain('capabilities[0]: unknown capability "teleport"');
    expect(error.message).to.contain('render: must be a function, got nothing');
    expect(error.message).to.contain('name: must be lowercase');
  });

  it('refuses a module with neither export', async () => {
    const error = await loadError(loadProxierPlugin('some-module', { importer: async () => ({ other: 1 }) }));
    expect(error.message).to.match(
      /^module some-module does not export an egress-proxier plugin .*: it exports neither$/,
    );
  });

  it('says a missing path is not found', async () => {
    const error = await loadError(loadProxierPlugin('./no-such-plugin.mjs', { cwd: fixturesDir }));
    expect(error.message).to.equal(
      `module ./no-such-plugin.mjs not found (looked for ${path.join(fixturesDir, 'no-such-plugin.mjs')})`,
    );
  });

  it('says a missing module name is not found (with the real loader)', async () => {
    const error = await loadError(loadProxierPlugin('egress-proxier-no-such-backend'));
    expect(error.message).to.match(
      /^module 'egress-proxier-no-such-backend' not found \(not a built-in backend: iptables, nftables, ipvs, ebpf, calico\)$/,
    );
  });

  it('blames a missing dependency of the plugin, not the plugin itself', async () => {
    const error = await loadError(loadProxierPlugin('./broken-dependency-plugin.mjs', { cwd: fixturesDir }));
    expect(error.message).to.match(
      /^module \.\/broken-dependency-plugin\.mjs could not be loaded: Cannot find package 'egress-proxier-fixture-missing-dependency'/,
    );
  });

  it('says a built-in backend whose package is missing is not installed', async () => {
    const importer: ModuleImporter = async (specifier) => {
      throw moduleNotFound(specifier);
    };
    const error = await loadError(loadProxierPlugin('ipvs', { importer }));
    expect(error.message).to.equal(
      "backend 'ipvs' is built in but its package @egress-proxier/backend-ipvs is not installed",
    );
  });

  it('imports a built-in through its package name, like any third-party module', async () => {
    const imported: string[] = [];
    const importer: ModuleImporter = async (specifier) => {
      imported.push(specifier);
      return { default: validPlugin };
    };
    const plugin = await loadProxierPlugin('ipvs', { importer });
    expect(plugin.name).to.equal('ipvs');
    expect(imported).to.deep.equal(['@egress-proxier/backend-ipvs']);
  });

  it('refuses a built-in package that exports a plugin of another name', async () => {
    const error = await loadError(
      loadProxierPlugin('calico', { importer: async () => ({ plugin: validPlugin }) }),
    );
    expect(error.message).to.equal(
      "package @egress-proxier/backend-calico exports plugin 'ipvs', but backend 'calico' was requested",
    );
  });

  it('accepts an injected list of built-ins', async () => {
    const imported: string[] = [];
    const importer: ModuleImporter = async (specifier) => {
      imported.push(specifier);
      return { default: { ...validPlugin, name: 'nft' } };
    };
    await loadProxierPlugin('nft', { builtIns: { nft: '@acme/egress-nft' }, importer });
    expect(imported).to.deep.equal(['@acme/egress-nft']);
  });

  it('refuses an empty backend name', async () => {
    const error = await loadError(loadProxierPlugin('  '));
    expect(error.message).to.contain('no backend given');
  });
});
