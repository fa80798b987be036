import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorkspace, REPO_ROOT, type TestWorkspace } from './support/workspace';

interface GraphJson {
  graph: { nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> };
}

async function graphEdges(ws: TestWorkspace): Promise<string[]> {
  const result = await ws.nx(['graph', '--file=graph.json']);
  expect(result.exitCode, result.output).toBe(0);
  const json = JSON.parse(ws.read('graph.json')) as GraphJson;
  return Object.entries(json.graph.dependencies)
    .flatMap(([source, deps]) => deps.map((d) => `${source} --> ${d.target}`))
    .sort();
}

describe('the inferred image graph', () => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = createTestWorkspace('ffreis');
  });
  afterAll(() => ws?.remove());

  it('matches the mermaid picture in the README', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const block = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const pictured = block.split('\n').map((l) => l.trim()).filter((l) => l.includes('-->')).sort();
    expect(pictured.length).toBeGreaterThan(0);
    expect(await graphEdges(ws)).toEqual(pictured);
  });

  it('takes in a new images/<x>/Dockerfile FROM a workspace image with no other edit', async () => {
    ws.write('images/debug/Dockerfile', 'ARG RUNNER_IMAGE=ffreis/runner\nFROM ${RUNNER_IMAGE}\nUSER 10001\n');
    expect(await graphEdges(ws)).toContain('debug --> runner');
    const shown = await ws.nx(['show', 'project', 'debug', '--json']);
    expect(JSON.parse(shown.output.slice(shown.output.indexOf('{'))).targets.build.dependsOn).toEqual(['^build']);
    ws.removePath('images/debug');
  });

  it.each([
    ['an unknown parent', 'images/extra/Dockerfile', '# extra\nARG PARENT_IMAGE=ffreis/nope\nFROM ${PARENT_IMAGE}\n',
      'images/extra/Dockerfile:2: image "extra" names parent "ffreis/nope" (ARG PARENT_IMAGE), but the workspace has no image "nope"'],
    ['a cycle', 'images/cycle-a/Dockerfile', 'ARG B_IMAGE=ffreis/cycle-b\nFROM ${B_IMAGE}\n',
      'Image cycle from "cycle-a" to "cycle-b": cycle-a → cycle-b → cycle-a'],
    ['a workspace image named without an ARG', 'images/extra/Dockerfile', 'FROM ffreis/base\n',
      'images/extra/Dockerfile:1: FROM names the workspace image "ffreis/base" directly'],
  ])('stops every command on %s, naming the file and the next step', async (kind, file, content, message) => {
    ws.write(file, content);
    if (kind === 'a cycle') ws.write('images/cycle-b/Dockerfile', 'ARG A_IMAGE=ffreis/cycle-a\nFROM ${A_IMAGE}\n');
    try {
      const build = await ws.nx(['run-many', '-t', 'build']);
      expect(build.exitCode, build.output).not.toBe(0);
      expect(build.output).toContain(message);
      expect(build.output).not.toMatch(/: building /);
      // `nx graph` prints the same error, then shows the rest of the graph (Nx's own choice).
      expect((await ws.nx(['graph', '--file=graph.json'])).output).toContain(message);
    } finally {
      ws.removePath(dirname(file));
      ws.removePath('images/cycle-b');
    }
  });
});
