import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseDigestsFile } from '../../core/digests';
import { parseDockerfile } from '../../core/dockerfile';
import { platformTag } from '../../core/platforms';
import { BUILD_RECIPE } from '../../core/recipe';
import { engineAdapter } from '../../engines';
import { createBuildSpec, type BuildSpecInput } from './engine-build';

/**
 * The digest of the engine's command lines for the corpus below, per recipe version. Append
 * only: when the test fails, the command lines changed, so every image must get a new tag.
 * Bump BUILD_RECIPE in core/recipe.ts and add the new version's digest here; never edit an
 * entry that is already here.
 */
const RECIPE_DIGESTS: Record<number, string> = {
  1: '1de780eeb798ee3e7c831e084f3057f62f464da9d80676c176eeff75edc829f2',
};

const DIGESTS = parseDigestsFile(
  '# the pin\nBASE_IMAGE=ubuntu:resolute-20260106.1\nexport BASE_DIGEST="sha256:' + 'a'.repeat(64) + '"\n',
  'images/base/digests.env',
);

/** A fixed corpus: the shapes of the shipped chain, a stage target, secrets, a layer cache, a label set and a platform. */
const CORPUS: { name: string; dockerfile: string; parents?: { name: string; arg: string }[]; extra?: Partial<BuildSpecInput> }[] = [
  {
    name: 'base',
    dockerfile: '# The base.\nARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\nRUN apt-get update\n',
  },
  {
    name: 'builder',
    dockerfile:
      'ARG BASE_BUILDER_IMAGE=ffreis/base-builder\nFROM ${BASE_BUILDER_IMAGE}\n' +
      'RUN --mount=type=secret,id=pip.conf true\nCOPY app/ /src/app/\n',
    parents: [{ name: 'base-builder', arg: 'BASE_BUILDER_IMAGE' }],
    extra: { secrets: [{ id: 'pip.conf', src: '/ws/secrets/pip.conf' }] },
  },
  {
    name: 'runner',
    dockerfile:
      'ARG BUILDER_IMAGE=ffreis/builder\nARG BASE_RUNNER_IMAGE=ffreis/base-runner\nFROM ${BUILDER_IMAGE} AS builder\n' +
      'FROM ${BASE_RUNNER_IMAGE} AS runtime\nCOPY --from=builder /app /app\nUSER app\n',
    parents: [
      { name: 'builder', arg: 'BUILDER_IMAGE' },
      { name: 'base-runner', arg: 'BASE_RUNNER_IMAGE' },
    ],
    extra: { cache: { from: ['127.0.0.1:5000/ffreis/runner:latest'], inline: true, to: '127.0.0.1:5000/ffreis/runner-cache' } },
  },
  {
    name: 'staged',
    dockerfile: 'FROM debian:bookworm@sha256:' + 'b'.repeat(64) + ' AS build\nRUN true\nFROM build AS final\nLABEL a=b\n',
    extra: { ownIgnoreFile: true },
  },
];

function inputOf(entry: (typeof CORPUS)[number], buildkit: boolean, network?: string): BuildSpecInput {
  const hash = '1234567890';
  return {
    plan: {
      root: '/ws',
      ref: `ffreis/${entry.name}:${hash}`,
      latest: `ffreis/${entry.name}:latest`,
      hash,
      digests: DIGESTS,
      engine: { network } as BuildSpecInput['plan']['engine'],
      options: {
        name: entry.name,
        dockerfile: `images/${entry.name}/Dockerfile`,
        context: '.',
        target: entry.name === 'staged' ? 'final' : undefined,
        labels: { 'org.opencontainers.image.licenses': 'MIT' },
      },
    },
    dockerfile: entry.dockerfile,
    info: parseDockerfile(entry.dockerfile),
    parents: (entry.parents ?? []).map((p) => ({ ...p, ref: `ffreis/${p.name}:abcdef` })),
    secrets: [],
    buildkit,
    ownIgnoreFile: false,
    ...entry.extra,
  };
}

/** Every command line the corpus gives, for docker (BuildKit and legacy) and podman, plus a platform build and its tags. */
function commandLines(): unknown[] {
  const lines: unknown[] = [];
  for (const engine of ['docker', 'podman'] as const) {
    const adapter = engineAdapter(engine, engine);
    for (const buildkit of engine === 'docker' ? [true, false] : [false]) {
      for (const entry of CORPUS) {
        const spec = createBuildSpec(inputOf(entry, buildkit, 'host'));
        lines.push(adapter.build(spec));
        lines.push(adapter.build({ ...spec, platform: 'linux/arm64', tags: [platformTag('ffreis/x:1234567890', 'linux/arm64')] }));
      }
      lines.push(adapter.layerCache('127.0.0.1:5000', 'runner', 'previous', buildkit) ?? null);
    }
  }
  return lines;
}

describe('the build recipe', () => {
  const digest = createHash('sha256').update(JSON.stringify(commandLines())).digest('hex');

  it('is the version whose engine command lines these are (bump BUILD_RECIPE when they change)', () => {
    const known = Object.entries(RECIPE_DIGESTS).find(([, d]) => d === digest)?.[0];
    expect(
      RECIPE_DIGESTS[BUILD_RECIPE],
      known
        ? `the command lines are recipe ${known}'s, but BUILD_RECIPE is ${BUILD_RECIPE}`
        : `the engine's command lines changed (digest ${digest}): set BUILD_RECIPE in core/recipe.ts to ${BUILD_RECIPE + 1} ` +
            `and add "${BUILD_RECIPE + 1}: '${digest}'" to RECIPE_DIGESTS, so every image gets a new tag`,
    ).toBe(digest);
  });

  it('only ever grows: versions 1 to BUILD_RECIPE, each with its own digest', () => {
    expect(Object.keys(RECIPE_DIGESTS).map(Number)).toEqual(Array.from({ length: BUILD_RECIPE }, (_, i) => i + 1));
    expect(new Set(Object.values(RECIPE_DIGESTS)).size).toBe(BUILD_RECIPE);
  });

  it('sees a change of the command lines (a label, a flag)', () => {
    const spec = createBuildSpec(inputOf(CORPUS[0], true));
    const docker = engineAdapter('docker', 'docker');
    expect(JSON.stringify(docker.build(spec))).not.toBe(JSON.stringify(docker.build({ ...spec, labels: { ...spec.labels, x: 'y' } })));
  });
});
