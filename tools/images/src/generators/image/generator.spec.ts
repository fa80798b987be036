import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import { beforeEach, describe, expect, it } from 'vitest';
import imageGenerator from './generator';

let tree: Tree;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  tree.write('nx.json', JSON.stringify({ plugins: [{ plugin: '@ffreis/nx-images', options: { prefix: 'team' } }] }));
  tree.write('images/base/Dockerfile', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
  tree.write('images/runner/Dockerfile', 'ARG BASE_IMAGE=team/base\nFROM ${BASE_IMAGE}\nUSER 10001:10001\n');
  tree.write('images/debug-base/Dockerfile', 'ARG RUNNER_IMAGE=team/runner\nFROM ${RUNNER_IMAGE}\n');
  tree.write('README.md', '# w\n\n```mermaid\ngraph LR\n  runner --> base\n```\n');
});

const written = () =>
  tree
    .listChanges()
    .map((c) => c.path)
    .sort();

describe('nx g @ffreis/nx-images:image', () => {
  it('writes the ARG/FROM form the graph reads, staying non-root under a runner, a checks skeleton and the README edge', () => {
    imageGenerator(tree, { name: 'debug', parent: 'runner' });
    expect(tree.read('images/debug/Dockerfile', 'utf8')).toContain('ARG RUNNER_IMAGE=team/runner\nFROM ${RUNNER_IMAGE}\n');
    expect(tree.read('images/debug/Dockerfile', 'utf8')).toContain('\nUSER 10001:10001\n');
    expect(JSON.parse(tree.read('images/debug/image-test.json', 'utf8') as string)).toMatchObject({
      user: '10001:10001',
      labels: { 'org.ffreis.image': 'debug' },
    });
    expect(tree.read('README.md', 'utf8')).toBe('# w\n\n```mermaid\ngraph LR\n  debug --> runner\n  runner --> base\n```\n');
  });

  it('follows a parent with no USER of its own to the user it inherits', () => {
    imageGenerator(tree, { name: 'tools', parent: 'debug-base' });
    expect(tree.read('images/tools/Dockerfile', 'utf8')).toContain('\nUSER 10001:10001\n');
  });

  it('adds no USER under a root parent', () => {
    imageGenerator(tree, { name: 'extra', parent: 'base' });
    expect(tree.read('images/extra/Dockerfile', 'utf8')).not.toContain('USER');
    expect(tree.read('images/extra/Dockerfile', 'utf8')).toContain('ARG BASE_IMAGE=team/base\nFROM ${BASE_IMAGE}\n');
  });

  it.each([
    [
      'a name docker refuses',
      { name: 'Debug', parent: 'runner' },
      /"Debug" cannot name an image: docker takes lowercase.*Give e\.g\. "debug"\. Nothing was written\./s,
    ],
    [
      'a nested name with a bad folder',
      { name: 'team/My API', parent: 'runner' },
      /\("My API" breaks the rule\)\. Give e\.g\. "team\/my-api"/,
    ],
    [
      'a name too long for docker',
      { name: 'a'.repeat(260), parent: 'runner' },
      /characters; docker takes at most 255\. Give a shorter name/,
    ],
    [
      'no parent and no upstream',
      { name: 'debug' },
      /--parent=<image> for a child of a workspace image, or --from=<image>@sha256:<digest>/,
    ],
    ['both a parent and an upstream', { name: 'debug', parent: 'runner', from: `debian@sha256:${'a'.repeat(64)}` }, /not both/],
    [
      'an upstream by tag alone',
      { name: 'root2', from: 'debian:bookworm' },
      /--from=debian:bookworm: a root is built from an upstream pinned by digest/,
    ],
    [
      'an unknown parent',
      { name: 'debug', parent: 'nope' },
      /--parent=nope: the workspace has no image "nope".*Images: base, debug-base, runner\. Nothing was written\./,
    ],
    ['an existing image', { name: 'runner', parent: 'base' }, /images\/runner\/Dockerfile already exists/],
    [
      'a name of two words, unquoted',
      { name: 'my', _: ['image'], parent: 'runner' },
      /"my image" is more than one word[^]*e\.g\. "my-image"/,
    ],
  ])('refuses %s with a clear error and writes nothing', (_case, options, message) => {
    const before = written();
    expect(() => imageGenerator(tree, options)).toThrow(message);
    expect(written()).toEqual(before);
    expect(tree.read('README.md', 'utf8')).toContain('  runner --> base\n```');
  });

  it('adds a nested image (team/api → project team-api) and a child of it by project name', () => {
    imageGenerator(tree, { name: 'team/api', parent: 'runner' });
    expect(tree.read('images/team/api/Dockerfile', 'utf8')).toContain('# team-api: runner and what');
    expect(JSON.parse(tree.read('images/team/api/image-test.json', 'utf8') as string)).toMatchObject({
      $schema: '../../../node_modules/@ffreis/nx-images/image-test.schema.json',
      labels: { 'org.ffreis.image': 'team-api' },
    });
    imageGenerator(tree, { name: 'api-debug', parent: 'team-api' });
    expect(tree.read('images/api-debug/Dockerfile', 'utf8')).toContain('ARG TEAM_API_IMAGE=team/team-api\nFROM ${TEAM_API_IMAGE}\n');
    expect(tree.read('images/api-debug/Dockerfile', 'utf8')).toContain('\nUSER 10001:10001\n');
  });

  it('adds a root on a pinned upstream through the digests file when the workspace has none yet', () => {
    tree.delete('images/base/Dockerfile');
    const digest = `sha256:${'b'.repeat(64)}`;
    imageGenerator(tree, { name: 'base', from: `127.0.0.1:5000/debian:bookworm@${digest}` });
    expect(tree.read('images/base/digests.env', 'utf8')).toContain(`BASE_IMAGE=127.0.0.1:5000/debian:bookworm\nBASE_DIGEST=${digest}\n`);
    expect(tree.read('images/base/Dockerfile', 'utf8')).toContain('ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
    expect(tree.read('images/base/image-test.json', 'utf8')).not.toContain('"user"');
    // A root adds no edge to the README's picture.
    expect(tree.read('README.md', 'utf8')).toBe('# w\n\n```mermaid\ngraph LR\n  runner --> base\n```\n');
  });

  it('adds a second root with its own pin in the Dockerfile, leaving the digests file alone', () => {
    tree.write('images/base/digests.env', 'BASE_IMAGE=debian:bookworm\nBASE_DIGEST=sha256:' + 'c'.repeat(64) + '\n');
    const before = tree.read('images/base/digests.env', 'utf8');
    imageGenerator(tree, { name: 'tools-root', from: `alpine:3.20@sha256:${'d'.repeat(64)}` });
    expect(tree.read('images/tools-root/Dockerfile', 'utf8')).toContain(`\nFROM alpine:3.20@sha256:${'d'.repeat(64)}\n`);
    expect(tree.read('images/base/digests.env', 'utf8')).toBe(before);
  });
});
