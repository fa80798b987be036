import * as cdx from '@cyclonedx/cyclonedx-library';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI } from '../src/core/oci-labels';
import type { Provenance } from '../src/records/attachments';
import { assertEngineReady, ENGINES, engineEnv, engineTools } from './support/engine';
import { startRegistry, type TestRegistry } from './support/registry';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

describe.each(ENGINES)('release metadata on %s: OCI labels from inputs, provenance beside image.json and in the registry', (engineName) => {
  const PREFIX = `itest-release-${engineName}`;
  const tools = engineTools(engineName);
  const repositories = () => CHAIN.flatMap((name) => [`${PREFIX}/${name}`, `${registry.address}/${PREFIX}/${name}`]);
  let registry: TestRegistry;
  let ws: TestWorkspace;
  let env: Record<string, string>;

  const labelsOf = async (ref: string): Promise<Record<string, string>> => {
    const result = await tools.run(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]);
    expect(result.exitCode, result.all).toBe(0);
    return JSON.parse(result.stdout) as Record<string, string>;
  };
  const provenanceOf = (name: string) =>
    JSON.parse(readFileSync(join(ws.dir, 'dist/images', name, 'provenance.json'), 'utf8')) as Provenance;

  beforeAll(async () => {
    await assertEngineReady(engineName);
    registry = await startRegistry(5008);
    env = { ...engineEnv(engineName), IMAGE_REGISTRY: `${registry.address}/${PREFIX}` };
    ws = createTestWorkspace(PREFIX);
    // The workspace says where it lives and under which licence: every image carries both.
    const manifest = JSON.parse(ws.read('package.json')) as Record<string, unknown>;
    ws.write(
      'package.json',
      `${JSON.stringify({ ...manifest, repository: 'git+https://example.invalid/team/images.git', license: 'Apache-2.0' }, null, 2)}\n`,
    );
    await tools.removeRepositories(repositories());
    const built = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], env);
    expect(built.exitCode, built.output).toBe(0);
  });

  afterAll(async () => {
    await tools.removeRepositories(repositories());
    ws?.remove();
    await registry?.stop().catch(() => undefined);
  });

  it('labels every image with its title, description, base, source and licences, all from inputs', async () => {
    const labels = Object.fromEntries(await Promise.all(CHAIN.map(async (name) => [name, await labelsOf(ws.meta(name)?.ref as string)])));
    for (const name of CHAIN) {
      expect(labels[name][OCI.title], name).toBe(name);
      expect(labels[name][OCI.source], name).toBe('https://example.invalid/team/images');
      expect(labels[name][OCI.licenses], name).toBe('Apache-2.0');
      expect(labels[name]['org.ffreis.nx-hash'], name).toBe(ws.meta(name)?.hash);
    }
    // base is built from the pin; the rest from a workspace parent, named by its exact tag.
    expect(labels.base[OCI.baseName]).toBe(process.env.BASE_IMAGE);
    expect(labels.base[OCI.baseDigest]).toBe(process.env.BASE_DIGEST);
    expect(labels.base[OCI.description]).toMatch(/^the pinned upstream plus an unprivileged user/);
    expect(labels['base-runner'][OCI.baseName]).toBe(ws.meta('base')?.ref);
    expect(labels['base-runner'][OCI.baseDigest]).toBe('');
    expect(labels.builder[OCI.baseName]).toBe(ws.meta('base-builder')?.ref);
    expect(labels.runner[OCI.baseName]).toBe(ws.meta('base-runner')?.ref);
    expect(labels.runner[OCI.description]).toBe('only the app and its venv, copied from builder onto base-runner.');
    // No git revision in the image: it goes on a pushed tag (push --tags=git-<sha>).
    expect(JSON.stringify(labels)).not.toMatch(/revision/);
  });

  it('changes the hash with a label input (the licence), and only then', async () => {
    const before = Object.fromEntries(CHAIN.map((name) => [name, ws.meta(name)?.hash]));
    const again = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], env);
    expect(again.exitCode, again.output).toBe(0);
    expect(Object.fromEntries(CHAIN.map((name) => [name, ws.meta(name)?.hash]))).toEqual(before);
    const manifest = ws.read('package.json');
    try {
      ws.write('package.json', manifest.replace('"Apache-2.0"', '"MIT"'));
      const relabelled = await ws.nx(['run', 'base:build', '--output-style=stream'], env);
      expect(relabelled.exitCode, relabelled.output).toBe(0);
      expect(ws.meta('base')?.hash).not.toBe(before.base);
      expect((await labelsOf(ws.meta('base')?.ref as string))[OCI.licenses]).toBe('MIT');
    } finally {
      ws.write('package.json', manifest);
    }
    const back = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], env);
    expect(back.exitCode, back.output).toBe(0);
    expect(ws.meta('base')?.hash).toBe(before.base);
  });

  it('writes provenance.json beside image.json: the image, its parents’ refs and ids, input hashes, engine, versions', async () => {
    for (const name of CHAIN) {
      const meta = ws.meta(name);
      const provenance = provenanceOf(name);
      expect(provenance.schema).toBe('nx-images/provenance/v1');
      expect(provenance.image).toEqual({ name, ref: meta?.ref, id: meta?.imageId, hash: meta?.hash });
      expect(provenance.parents.map((p) => p.ref).sort()).toEqual((meta?.parents ?? []).map((p) => p.ref).sort());
      for (const parent of provenance.parents) expect(parent.id, `${name} ← ${parent.name}`).toBe(ws.meta(parent.name)?.imageId);
      expect(Object.keys(provenance.inputs?.files ?? {})).toContain(`images/${name}/Dockerfile`);
      expect(provenance.engine.name).toBe(engineName);
      expect(provenance.engine.version).toMatch(/^\d+\.\d+/);
      expect(provenance.versions.nx).toMatch(/^\d+\.\d+\.\d+/);
      expect(provenance.versions.node).toBe(process.version);
    }
    // Environment inputs appear as hashes of their values, never the values.
    expect(provenanceOf('base').inputs?.env.BASE_DIGEST).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(provenanceOf('base'))).not.toContain(process.env.BASE_DIGEST as string);
  });

  it('writes the CycloneDX SBOM of an image with the sbom target and says where it is', async () => {
    const result = await ws.nx(['run', 'runner:sbom', '--output-style=stream'], env);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/runner: SBOM \(CycloneDX 1\.6, \d+ packages\) of \S+: dist\/images\/runner\/sbom\.cdx\.json/);
    const text = readFileSync(join(ws.dir, 'dist/images/runner/sbom.cdx.json'), 'utf8');
    expect(await new cdx.Validation.JsonStrictValidator(cdx.Spec.Version.v1dot6).validate(text)).toBeNull();
    const bom = JSON.parse(text) as { metadata: { component: { version: string } }; components: { purl: string }[] };
    expect(bom.metadata.component.version).toBe(ws.meta('runner')?.imageId);
    const purls = bom.components.map((c) => c.purl);
    expect(
      purls.some((p) => /^pkg:deb\/debian\/python3(\.\d+)?-minimal@/.test(p)),
      purls.join('\n'),
    ).toBe(true);
    // No compiler and no pip in the runner: the SBOM says what is there, so it says that too.
    expect(purls.filter((p) => /^pkg:deb\/debian\/(gcc|g\+\+|python3-pip)@/.test(p))).toEqual([]);
  });

  it('pushes the provenance with the image, as <hash tag>.provenance, which reads back the same', async () => {
    const pushed = await ws.nx(['run-many', '-t', 'push', '--output-style=stream'], env);
    expect(pushed.exitCode, pushed.output).toBe(0);
    const name = 'runner';
    const tag = (ws.meta(name)?.ref as string).split(':').pop() as string;
    expect(await registry.tags(`${PREFIX}/${name}`)).toEqual([tag, `${tag}.provenance`, `${tag}.sbom`].sort());
    // An image with no SBOM written pushes its provenance only.
    const baseTag = (ws.meta('base')?.ref as string).split(':').pop() as string;
    expect(await registry.tags(`${PREFIX}/base`)).toEqual([baseTag, `${baseTag}.provenance`].sort());
    // Each reads back as the file beside image.json (pulled, then copied out of a container that never starts).
    for (const [suffix, file] of [
      ['provenance', 'provenance.json'],
      ['sbom', 'sbom.cdx.json'],
    ]) {
      const ref = `${registry.address}/${PREFIX}/${name}:${tag}.${suffix}`;
      expect((await tools.run(['pull', ref])).exitCode).toBe(0);
      const container = `release-read-${engineName}-${suffix}-${process.pid}`;
      const out = mkdtempSync(join(tmpdir(), 'attachment-'));
      try {
        const created = await tools.run(['create', '--name', container, ref, 'none']);
        expect(created.exitCode, created.all).toBe(0);
        const copied = await tools.run(['cp', `${container}:/${file}`, join(out, file)]);
        expect(copied.exitCode, copied.all).toBe(0);
        expect(readFileSync(join(out, file), 'utf8')).toBe(readFileSync(join(ws.dir, 'dist/images', name, file), 'utf8'));
      } finally {
        await tools.run(['rm', '--force', container]);
        rmSync(out, { recursive: true, force: true });
      }
    }
  });
});
