// The manifest loader on good and bad input, read through an in-memory file table (no process, no disk).
import { expect } from 'chai';
import { loadManifestFiles, type LoadedManifests } from '../src/cli/load-manifests.js';
import { EgressModel } from '../src/model/egress-model.js';

function load(files: Record<string, string>): Promise<{ model: EgressModel; loaded: LoadedManifests }> {
  const model = new EgressModel({ clusterCIDRs: [] });
  const readText = (file: string): Promise<string> => Promise.resolve(files[file] ?? '');
  return loadManifestFiles(Object.keys(files), model, readText).then((loaded) => ({ model, loaded }));
}

async function loadError(files: Record<string, string>): Promise<string> {
  try {
    await load(files);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the files to be refused');
}

const pod = (name: string, labels = '{app: api}'): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: pay, labels: ${labels}}\nspec: {nodeName: n}\nstatus: {phase: Running, podIPs: [{ip: 10.244.0.7}]}\n`;
const egress = (name: string): string =>
  `apiVersion: egress.proxier.io/v1alpha1\nkind: Egress\nmetadata: {name: ${name}}\nspec: {podSelector: {matchLabels: {app: api}}, egressIPs: [192.0.2.10]}\n`;

describe('loading manifests', () => {
  it('reads a kubectl JSON dump (one List) as JSON, and counts what it read', async () => {
    const dump = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pay' } },
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'n' },
          spec: { podCIDR: '10.244.0.0/24' },
          status: { conditions: [{ type: 'Ready', status: 'True' }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'api', namespace: 'pay', labels: { app: 'api' } },
          spec: { nodeName: 'n' },
          status: { phase: 'Running', podIPs: [{ ip: '10.244.0.7' }] },
        },
      ],
    };
    const { model, loaded } = await load({ 'dump.json': `\n  ${JSON.stringify(dump, null, 4)}` });
    expect(loaded.counts).to.deep.equal({ Egress: 0, Pod: 1, Namespace: 1, Node: 1 });
    expect(model.node('n')?.podCIDRs).to.deep.equal(['10.244.0.0/24']);
  });

  it('reads YAML flow style that starts like JSON, and comments, directives and `...` around documents', async () => {
    const text = `# header\n%YAML 1.2\n---\n{apiVersion: v1, kind: Namespace, metadata: {name: a}}\n...\n# between\n--- # a comment\n${egress('e')}---\n`;
    const { loaded } = await load({ 'f.yaml': text });
    expect(loaded.counts).to.include({ Namespace: 1, Egress: 1 });
  });

  it('reports a YAML syntax error with its document and its line in the file', async () => {
    const message = await loadError({ 'f.yaml': `${pod('a')}---\n${pod('b')}---\nkind: [unclosed\n` });
    expect(message).to.match(/^f\.yaml: document 3: line 14, column 1: /);
  });

  it('allows ordinary anchors: a List of 101 pods sharing one &labels anchor', async () => {
    const items = Array.from({ length: 101 }, (_, i) =>
      i === 0
        ? `- {apiVersion: v1, kind: Pod, metadata: {name: p0, namespace: pay, labels: &labels {app: api, tier: web}}, spec: {nodeName: n}, status: {podIPs: [{ip: 10.244.0.1}]}}`
        : `- {apiVersion: v1, kind: Pod, metadata: {name: p${i}, namespace: pay, labels: *labels}, spec: {nodeName: n}, status: {podIPs: [{ip: 10.244.1.${i}}]}}`,
    );
    const { loaded } = await load({
      'list.yaml': `apiVersion: v1\nkind: List\nitems:\n${items.join('\n')}\n`,
    });
    expect(loaded.counts.Pod).to.equal(101);
  });

  it('refuses an alias bomb, naming the file and document', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
    const message = await loadError({ 'bomb.yaml': `${pod('a')}---\n${bomb}` });
    expect(message).to.match(
      /^bomb\.yaml: document 2: its aliases expand to more than \d+ values .*alias bomb/,
    );
  });

  it('refuses a second Egress of the same name, naming both places', async () => {
    const message = await loadError({
      'a.yaml': egress('pay'),
      'b.yaml': `${pod('x')}---\n${egress('pay')}`,
    });
    expect(message).to.equal(
      'b.yaml: document 2 (Egress pay): metadata.name: Egress pay is already defined at a.yaml: document 1 (Egress pay)',
    );
  });

  it('refuses podIPs given as a string instead of a list', async () => {
    const message = await loadError({
      'p.yaml': pod('api').replace('podIPs: [{ip: 10.244.0.7}]', 'podIPs: 10.244.0.7'),
    });
    expect(message).to.equal('p.yaml: document 1 (Pod api): status.podIPs: must be a list of {ip: ADDRESS}');
  });

  it('says that the kind is missing', async () => {
    const message = await loadError({ 'k.yaml': 'apiVersion: v1\nmetadata: {name: x}\n' });
    expect(message).to.equal(
      'k.yaml: document 1: kind: missing (render reads Egress, Pod, Namespace, Node and List)',
    );
  });

  it('counts List items from 1, as documents are', async () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b', labels: { x: 1 } } },
      ],
    };
    const message = await loadError({ 'l.json': JSON.stringify(list) });
    expect(message).to.equal(
      'l.json: document 1, item 2 (Namespace b): metadata.labels[x]: must be a string',
    );
  });

  it('names the pod CIDR field the file used: spec.podCIDR or spec.podCIDRs', async () => {
    const node = (spec: string): string => `apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: ${spec}\n`;
    expect(await loadError({ 'n.yaml': node('{podCIDR: 10.244.0.0/33}') })).to.equal(
      'n.yaml: document 1 (Node n): spec.podCIDR: prefix length must be an integer from 0 to 32 without leading zeros',
    );
    expect(await loadError({ 'n.yaml': node('{podCIDRs: [10.244.0.0/24, nope]}') })).to.equal(
      'n.yaml: document 1 (Node n): spec.podCIDRs[1]: must be a CIDR such as 203.0.113.0/24',
    );
  });
});
