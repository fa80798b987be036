import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pictured } from '../src/docs/readme-graph';
import { assertEngineReady, engineTools } from './support/engine';
import { graphEdges } from './support/graph';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

describe('nx g @ffreis/nx-images:image and the README graph command', () => {
  let ws: TestWorkspace;
  const docker = engineTools('docker');
  const images = [...CHAIN, 'debug'];

  beforeAll(async () => {
    await assertEngineReady('docker');
    ws = createTestWorkspace('itest-gen');
    await docker.removeRepositories(images.map((n) => `${ws.prefix}/${n}`));
  });

  afterAll(async () => {
    if (!ws) return;
    await docker.removeRepositories(images.map((n) => `${ws.prefix}/${n}`));
    ws.remove();
  });

  it('adds an image under the runner that the graph, the README, lint and a real build take as is, non-root', async () => {
    const result = await ws.nx(['g', '@ffreis/nx-images:image', 'debug', '--parent=runner', '--no-interactive']);
    expect(result.exitCode, result.output).toBe(0);
    expect(ws.read('images/debug/Dockerfile')).toContain(`ARG RUNNER_IMAGE=${ws.prefix}/runner\nFROM \${RUNNER_IMAGE}\n`);
    const edges = await graphEdges(ws);
    expect(edges).toContain('debug --> runner');
    expect(pictured(ws.read('README.md')).sort()).toEqual(edges);
    const lint = await ws.nx(['run', 'debug:lint']);
    expect(lint.exitCode, lint.output).toBe(0);
    const built = await ws.nx(['run', 'debug:build', '--output-style=stream'], { CONTAINER_ENGINE: 'docker' });
    expect(built.exitCode, built.output).toBe(0);
    const ref = ws.meta('debug')?.ref as string;
    const id = await docker.run(['run', '--rm', '--entrypoint', 'id', ref, '-u']);
    expect(id.stdout.trim()).toBe('10001');
    const checks = await ws.nx(['run', 'debug:test'], { CONTAINER_ENGINE: 'docker' });
    expect(checks.exitCode, checks.output).toBe(0);
  });

  it.each([
    ['a name docker refuses', ['Debug2', '--parent=runner'], '"Debug2" cannot name an image: docker takes lowercase', 'images/Debug2'],
    ['an unknown parent', ['extra', '--parent=nope'], '--parent=nope: the workspace has no image "nope"', 'images/extra'],
    ['an upstream by tag alone', ['root2', '--from=debian:bookworm'], 'a root is built from an upstream pinned by digest', 'images/root2'],
    ['a name of two words, unquoted', ['my', 'image', '--parent=runner'], '"my image" is more than one word', 'images/my'],
  ])('refuses %s, saying what to do, and writes nothing', async (_case, args, message, folder) => {
    const readme = ws.read('README.md');
    const result = await ws.nx(['g', '@ffreis/nx-images:image', ...args, '--no-interactive']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain(message);
    expect(() => ws.read(`${folder}/Dockerfile`)).toThrow();
    expect(ws.read('README.md')).toBe(readme);
  });

  it('writes the README picture from the inferred graph with `nx run nx-images:readme-graph`', async () => {
    ws.write(
      'README.md',
      ws.read('README.md').replace('  debug --> runner\n', '').replace('  runner --> builder\n', '  runner --> nothing\n'),
    );
    const result = await ws.nx(['run', 'nx-images:readme-graph']);
    expect(result.exitCode, result.output).toBe(0);
    expect(pictured(ws.read('README.md')).sort()).toEqual(await graphEdges(ws));
  });
});
