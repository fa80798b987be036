import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAIN_DOCKERFILES } from '../testing/chain-fixture';
import { createDependencies } from './create-dependencies';
import { createNodes } from './create-nodes';

function workspaceWith(dockerfiles: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nx-images-'));
  for (const [name, content] of Object.entries(dockerfiles)) {
    mkdirSync(join(root, 'images', name), { recursive: true });
    writeFileSync(join(root, 'images', name, 'Dockerfile'), content);
  }
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, '.dockerignore'), 'node_modules\n');
  return root;
}

const nxJsonConfiguration = {};

async function nodesOf(root: string, options = {}) {
  const files = Object.keys(CHAIN_DOCKERFILES).map((n) => `images/${n}/Dockerfile`);
  const results = await createNodes[1](files, { prefix: 'ffreis', ...options }, { workspaceRoot: root, nxJsonConfiguration });
  const projects = results.map(([, r]) => Object.values(r.projects ?? {})[0]);
  return Object.fromEntries(projects.map((p) => [p.name as string, p]));
}

describe('createNodes', () => {
  const root = workspaceWith(CHAIN_DOCKERFILES);

  it('infers one project per images/<name>/Dockerfile with described build and clean targets', async () => {
    const projects = await nodesOf(root);
    expect(Object.keys(projects).sort()).toEqual(['base', 'base-builder', 'base-runner', 'builder', 'runner']);
    for (const project of Object.values(projects)) {
      expect(project.targets?.build).toMatchObject({ executor: 'nx:run-commands', dependsOn: ['^build'], cache: false });
      expect(project.targets?.build?.options.command).toBe('exec sh node_modules/@ffreis/nx-images/bin/build.sh');
      expect(project.targets?.build?.options.env).toMatchObject({
        NX_IMAGES_NAME: project.name,
        NX_IMAGES_REPOSITORY: `ffreis/${project.name}`,
        NX_IMAGES_RECORDS: `dist/images/${project.name}`,
      });
      expect(project.targets?.build?.metadata?.description).toMatch(/^Build ffreis\//);
      expect(project.targets?.clean?.metadata?.description).toMatch(/make clean-/);
    }
  });

  it('gives only the run image a run target that builds first', async () => {
    const projects = await nodesOf(root);
    expect(projects.runner.targets?.run).toMatchObject({ executor: '@ffreis/nx-images:run', dependsOn: ['build'] });
    expect(projects.builder.targets?.run).toBeUndefined();
  });

  it('passes parents and, for base only, the digests file to the build program', async () => {
    const projects = await nodesOf(root, { digestsFile: 'pins.env' });
    const buildOptions = (name: string) => JSON.parse(projects[name].targets?.build?.options.env.NX_IMAGES_BUILD);
    expect(buildOptions('base')).toMatchObject({ prefix: 'ffreis', parents: [], digestsFile: 'pins.env' });
    expect(buildOptions('runner')).toMatchObject({
      parents: [
        { name: 'builder', arg: 'BUILDER_IMAGE' },
        { name: 'base-runner', arg: 'BASE_RUNNER_IMAGE' },
      ],
    });
    expect(buildOptions('runner').digestsFile).toBeUndefined();
    expect(projects.base.targets?.['update-digest']).toBeDefined();
    expect(projects.runner.targets?.['update-digest']).toBeUndefined();
  });
});

describe('createDependencies', () => {
  it('draws the chain and the builder → app edge from the Dockerfiles', async () => {
    const root = workspaceWith(CHAIN_DOCKERFILES);
    const projects: Record<
      string,
      { name: string; root: string; targets: Record<string, { executor: string; options?: { env: Record<string, string> } }> }
    > = {
      app: { name: 'app', root: 'app', targets: {} },
    };
    for (const name of Object.keys(CHAIN_DOCKERFILES)) {
      projects[name] = {
        name,
        root: `images/${name}`,
        targets: { build: { executor: 'nx:run-commands', options: { env: { NX_IMAGES_DOCKERFILE: `images/${name}/Dockerfile` } } } },
      };
    }
    const edges = await createDependencies(
      { prefix: 'ffreis' },
      {
        projects,
        workspaceRoot: root,
        nxJsonConfiguration,
        externalNodes: {},
        fileMap: { projectFileMap: {}, nonProjectFiles: [] },
        filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      },
    );
    expect(edges.map((e) => `${e.source}->${e.target}`).sort()).toEqual([
      'base-builder->base',
      'base-runner->base',
      'builder->app',
      'builder->base-builder',
      'runner->base-runner',
      'runner->builder',
    ]);
    expect(edges.every((e) => 'sourceFile' in e && e.sourceFile === `images/${e.source}/Dockerfile`)).toBe(true);
  });
});

describe('the whole createNodes result for the shipped workspace', () => {
  it('is the committed snapshot (targets, inputs, options, descriptions): a change to it is a reviewed change', async () => {
    const repo = join(__dirname, '../../../..');
    const root = mkdtempSync(join(tmpdir(), 'nx-images-shipped-'));
    try {
      const tracked = execFileSync('git', ['ls-files', 'images', 'app', '.dockerignore', '.gitignore', 'nx.json'], {
        cwd: repo,
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean);
      for (const file of tracked) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        copyFileSync(join(repo, file), join(root, file));
      }
      const nxJson = JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options: object }[] };
      const options = nxJson.plugins.find((p) => p.plugin === '@ffreis/nx-images')?.options;
      const files = tracked.filter((f) => /^images\/.+\/(Dockerfile|Containerfile)$/.test(f));
      const results = await createNodes[1](files, options, { workspaceRoot: root, nxJsonConfiguration: nxJson });
      // Under the shipped prefix, whatever prefix a copy of the workspace (a test's) gives its images.
      const prefix = (options as { prefix: string }).prefix;
      const shipped = (value: unknown): unknown =>
        typeof value === 'string'
          ? value === prefix
            ? 'ffreis'
            : value.replaceAll(`${prefix}/`, 'ffreis/').replaceAll(`"prefix":"${prefix}"`, '"prefix":"ffreis"')
          : Array.isArray(value)
            ? value.map(shipped)
            : value && typeof value === 'object'
              ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shipped(v)]))
              : value;
      expect(shipped(results)).toMatchSnapshot();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
