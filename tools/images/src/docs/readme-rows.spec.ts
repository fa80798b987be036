import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodes } from '../plugin/create-nodes';
import { readmeCommands } from './readme-rows';

/*
 * Every command the README shows names something that exists: each `npx nx run <project>:<target>`
 * a project and target the workspace has, each `-t` target one some project has, each generator,
 * npm script and file; each variable set before a command is one the code reads. The commands
 * are run for real, in README order, by tests/readme.spec.ts (npm run test:readme, in CI).
 */
const ROOT = join(__dirname, '../../../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

async function workspaceTargets(): Promise<Map<string, Set<string>>> {
  const nxJson = JSON.parse(readFileSync(join(ROOT, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options: object }[] };
  const options = nxJson.plugins.find((p) => p.plugin === '@ffreis/nx-images')?.options;
  const files = execFileSync('git', ['ls-files', 'images'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\/(Dockerfile|Containerfile)$/.test(f));
  const results = await createNodes[1](files, options, { workspaceRoot: ROOT, nxJsonConfiguration: nxJson });
  const targets = new Map<string, Set<string>>();
  for (const [, result] of results) {
    for (const project of Object.values(result.projects ?? {}))
      targets.set(project.name as string, new Set(Object.keys(project.targets ?? {})));
  }
  for (const file of ['app/project.json', 'tools/images/project.json']) {
    const project = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { name: string; targets: object };
    targets.set(project.name, new Set(Object.keys(project.targets)));
  }
  return targets;
}

const sources = ['tools/images/src', 'tools/images/bin', '.ci'].flatMap((dir) =>
  (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => !f.endsWith('.spec.ts') && !f.includes('__snapshots__'))
    .map((f) => join(ROOT, dir, f))
    .filter((f) => statSync(f).isFile() && /\.(ts|sh)$|\/run$/.test(f)),
);
const code = sources.map((f) => readFileSync(f, 'utf8')).join('\n');

describe('every command the README shows', async () => {
  const targets = await workspaceTargets();
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const generators = Object.keys(JSON.parse(readFileSync(join(ROOT, 'tools/images/generators.json'), 'utf8')).generators);
  const all = readmeCommands(readme);

  it('is for users: at most 250 lines (the rest is in docs/), besides the graph, which grows with each image generated', () => {
    const graph = /```mermaid\n[^]*?```\n/.exec(readme)?.[0] ?? '';
    expect(graph).toContain('graph');
    expect(readme.trimEnd().split('\n').length - graph.split('\n').length + 1).toBeLessThanOrEqual(250);
  });

  it('finds the README’s commands', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all).toContain('npx nx run-many -t lint test');
  });

  it.each(all)('%s', (command) => {
    const words = command.split(/\s+/);
    for (const word of words) {
      const variable = /^([A-Z][A-Z0-9_]*)=/.exec(word)?.[1];
      if (!variable) break;
      expect(code, `${variable} is read by no source`).toContain(variable);
    }
    const rest = words.filter((w) => !/^[A-Z][A-Z0-9_]*=/.test(w));
    if (rest[0] === 'npm') {
      if (rest[1] === 'run') expect(Object.keys(scripts), command).toContain(rest[2]);
      else expect(['test', 'ci']).toContain(rest[1]);
      return;
    }
    if (rest[0] === 'bash') {
      expect(existsSync(join(ROOT, rest[1])), command).toBe(true);
      return;
    }
    // npx nx …
    const [verb, ...args] = rest.slice(2);
    if (verb === 'run') {
      const [project, target] = (args[0] ?? '').split(':');
      if (project.startsWith('<')) return; // a placeholder: `<name>:clean`
      expect([...targets.keys()], command).toContain(project);
      expect([...(targets.get(project) ?? [])], command).toContain(target);
    } else if (verb === 'run-many' || verb === 'affected') {
      const t = args.indexOf('-t');
      const named = args.slice(t + 1).filter((a) => !a.startsWith('-') && !a.startsWith('…'));
      for (const target of named)
        expect(
          [...targets.values()].some((s) => s.has(target)),
          `${command}: no project has ${target}`,
        ).toBe(true);
    } else if (verb === 'g') {
      const [plugin, generator] = (args[0] ?? '').split(':');
      expect(plugin).toBe('@ffreis/nx-images');
      expect(generators, command).toContain(generator);
    } else if (verb === 'add') {
      expect(args[0]).toMatch(/^@ffreis\/nx-images@file:/);
    } else {
      expect(['graph', 'daemon', '…'], command).toContain(verb);
    }
  });
});

describe('the README’s test command', () => {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const config = readFileSync(join(ROOT, 'vitest.config.mts'), 'utf8');
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');

  it('runs the unit and integration suites only: the long ones have scripts of their own', () => {
    expect(scripts.test).toMatch(/vitest run --project unit --project integration /);
    const integration = /name: 'integration',[^]*?exclude: \[([^\]]*)\]/.exec(config)?.[1] ?? '';
    for (const suite of ['soundness', 'adopt', 'readme']) {
      expect(integration, `the integration project leaves ${suite}.spec.ts to npm run test:${suite}`).toContain(`tests/${suite}.spec.ts`);
      expect(scripts[`test:${suite}`]).toContain(`--project ${suite}`);
    }
  });

  it('is what CI runs, and CI runs every other suite after it', () => {
    const steps = [
      'npm test',
      'npm run test:podman',
      'npm run test:soundness',
      'npm run test:adopt',
      'npm run test:readme',
      'bash .ci/nx24.sh',
    ];
    const lines = ci.split('\n');
    const at = steps.map((step) => lines.indexOf(step));
    expect(
      at.every((i) => i >= 0),
      JSON.stringify(Object.fromEntries(steps.map((s, i) => [s, at[i]]))),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });
});
