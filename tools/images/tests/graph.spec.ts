import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pictured } from '../src/docs/readme-graph';
import { VIEW_ENV } from '../src/engines/view';
import { graphEdges } from './support/graph';
import { createTestWorkspace, REPO_ROOT, type TestWorkspace } from './support/workspace';

describe('the inferred image graph', () => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = createTestWorkspace('ffreis');
  });
  afterAll(() => ws?.remove());

  it('matches the mermaid picture in the README', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const edges = pictured(readme).sort();
    expect(edges.length).toBeGreaterThan(0);
    expect(await graphEdges(ws)).toEqual(edges);
  });

  it('computes the graph without the daemon loading neither TypeScript nor @nx/devkit’s index (each costs every such run)', async () => {
    // Every module any node process of the run loaded, written when it exits.
    const hook = join(ws.dir, 'loaded-hook.cjs');
    const loaded = join(ws.dir, 'loaded.txt');
    const write = `require('node:fs').appendFileSync(${JSON.stringify(loaded)}, Object.keys(require.cache).join('\\n') + '\\n')`;
    writeFileSync(hook, `process.on('exit', () => ${write});\n`);
    const result = await ws.nx(['show', 'projects'], { NX_DAEMON: 'false', NODE_OPTIONS: `--require ${hook}` });
    expect(result.exitCode, result.output).toBe(0);
    const modules = readFileSync(loaded, 'utf8').split('\n');
    // The hook saw the run: Nx's graph code and the plugin were loaded.
    expect(modules.some((m) => m.includes('/project-configuration-utils.js'))).toBe(true);
    expect(modules.some((m) => /tools\/images\/dist\/plugin\/create-nodes\.js$/.test(m))).toBe(true);
    expect(modules.filter((m) => /\/node_modules\/typescript\/|\/@nx\/devkit\/dist\/index\.js$/.test(m))).toEqual([]);
  });

  it('hands each run its engine view without making the Nx daemon recompute the project graph', async () => {
    // A task that prints the view's header: the hook's variable reaches the run's tasks. With
    // the daemon it names the file the listing is written to, beside Nx's start: waited for.
    const probe =
      `v=$${VIEW_ENV}; f=\${v#file:}; f=\${f#*:}; ` +
      'case $v in file:*) n=0; while [ ! -s "$f" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done; head -1 "$f" ;; ' +
      '*) printf "%s\\n" "$v" | head -1 ;; esac';
    ws.write('probe/project.json', JSON.stringify({ name: 'probe', targets: { view: { command: probe } } }));
    const log = join(ws.dir, '.nx/workspace-data/d/daemon.log');
    const daemon = { NX_DAEMON: 'true' };
    try {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await ws.nx(['run', 'probe:view'], daemon));
      for (const run of runs) {
        expect(run.exitCode, run.output).toBe(0);
        expect(run.output).toMatch(/view2\|settings1\|/);
      }
      // The first run starts the daemon; after it, nothing of the runs' environment changes
      // but the view, which must not count as a change to the daemon.
      const lines = readFileSync(log, 'utf8').split('\n');
      const served = lines.filter((l) => l.includes('Client Request for Project Graph Received'));
      expect(served.length).toBeGreaterThanOrEqual(3);
      const recomputed = lines.filter((l) => /Graph recompute necessary due to env variable refresh/.test(l));
      expect(recomputed).toEqual([]);
    } finally {
      await ws.nx(['daemon', '--stop']);
      ws.removePath('probe');
    }
  });

  it('takes in a new images/<x>/Dockerfile FROM a workspace image with no other edit', async () => {
    ws.write('images/debug/Dockerfile', 'ARG RUNNER_IMAGE=ffreis/runner\nFROM ${RUNNER_IMAGE}\nUSER 10001\n');
    expect(await graphEdges(ws)).toContain('debug --> runner');
    const shown = await ws.nx(['show', 'project', 'debug', '--json']);
    expect(JSON.parse(shown.output.slice(shown.output.indexOf('{'))).targets.build.dependsOn).toEqual(['^build']);
    ws.removePath('images/debug');
  });

  it.each([
    [
      'an unknown parent',
      'images/extra/Dockerfile',
      '# extra\nARG PARENT_IMAGE=ffreis/nope\nFROM ${PARENT_IMAGE}\n',
      'images/extra/Dockerfile:2: image "extra" names parent "ffreis/nope" (ARG PARENT_IMAGE), but the workspace has no image "nope"',
    ],
    [
      'a cycle',
      'images/cycle-a/Dockerfile',
      'ARG B_IMAGE=ffreis/cycle-b\nFROM ${B_IMAGE}\n',
      'Image cycle from "cycle-a" to "cycle-b": cycle-a → cycle-b → cycle-a',
    ],
    [
      'a workspace image named without an ARG',
      'images/extra/Dockerfile',
      'FROM ffreis/base\n',
      'images/extra/Dockerfile:1: FROM names the workspace image "ffreis/base" directly',
    ],
    [
      'a workspace image behind a registry variable',
      'images/extra/Dockerfile',
      'ARG REGISTRY\nARG TAG=1\nFROM ${REGISTRY}/ffreis/base:${TAG}\n',
      'images/extra/Dockerfile:3: FROM ${REGISTRY}/ffreis/base:${TAG} names the workspace image "ffreis/base" in a form the ' +
        'build cannot pin',
    ],
  ])(
    'fails only the image with %s, naming the file and the next step; the rest of the workspace keeps working',
    async (kind, file, content, message) => {
      ws.write(file, content);
      if (kind === 'a cycle') ws.write('images/cycle-b/Dockerfile', 'ARG A_IMAGE=ffreis/cycle-a\nFROM ${A_IMAGE}\n');
      const project = file.split('/')[1];
      try {
        const build = await ws.nx(['run', `${project}:build`]);
        expect(build.exitCode, build.output).not.toBe(0);
        expect(build.output).toContain(message);
        expect(build.output).not.toMatch(/: building /);
        const projects = await ws.nx(['show', 'projects']);
        expect(projects.exitCode, projects.output).toBe(0);
        expect(projects.output).toContain('runner');
        expect(await graphEdges(ws)).toContain('runner --> builder');
      } finally {
        ws.removePath(dirname(file));
        ws.removePath('images/cycle-b');
      }
    },
  );

  it('survives a heredoc whose body holds shell syntax: no glob inputs from it, every other image intact', async () => {
    ws.write(
      'images/heredoc/Dockerfile',
      'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\nCOPY <<EOF /etc/motd\nvalue $((1+1)) {a,b} [x] *\nEOF\n',
    );
    try {
      const shown = await ws.nx(['show', 'project', 'heredoc', '--json']);
      expect(shown.exitCode, shown.output).toBe(0);
      const inputs = JSON.parse(shown.output.slice(shown.output.indexOf('{'))).targets.build.inputs as unknown[];
      expect(inputs.filter((i) => typeof i === 'string' && /\$\(\(|\{a,b\}|\[x\]/.test(i))).toEqual([]);
      expect((await ws.nx(['show', 'projects'])).output).toContain('runner');
    } finally {
      ws.removePath('images/heredoc');
    }
  });

  it('takes a Containerfile and nested folders as images, named from their path', async () => {
    ws.write('images/team/service/Dockerfile', 'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\nCOPY app/main.py /app/\n');
    ws.write('images/podman-style/Containerfile', 'ARG RUNNER_IMAGE=ffreis/runner\nFROM ${RUNNER_IMAGE}\n');
    try {
      const edges = await graphEdges(ws);
      expect(edges).toContain('team-service --> base');
      expect(edges).toContain('podman-style --> runner');
      const shown = await ws.nx(['show', 'project', 'podman-style', '--json']);
      expect(JSON.parse(shown.output.slice(shown.output.indexOf('{'))).targets.build.options.env.NX_IMAGES_DOCKERFILE).toBe(
        'images/podman-style/Containerfile',
      );
    } finally {
      ws.removePath('images/team');
      ws.removePath('images/podman-style');
    }
  });

  it.each([
    ['a space', 'images/My App/Dockerfile', 'the folder "My App" cannot be part of an image name', 'e.g. "my-app"'],
    ['uppercase', 'images/Service/Dockerfile', 'the folder "Service" cannot be part of an image name', 'e.g. "service"'],
    ['non-ASCII', 'images/café/Dockerfile', 'the folder "café" cannot be part of an image name', 'e.g. "cafe"'],
  ])('refuses a folder with %s when the graph is built, naming the folder and the rule', async (_case, file, message, fix) => {
    ws.write(file, 'FROM scratch\n');
    try {
      const result = await ws.nx(['show', 'projects']);
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toContain(message);
      expect(result.output).toContain('lowercase ASCII letters and digits');
      expect(result.output).toContain(fix);
    } finally {
      ws.removePath(dirname(file));
    }
  });
});
