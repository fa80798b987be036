import { describe, expect, it } from 'vitest';
import { entriesOf, CHAIN_DOCKERFILES } from '../testing/chain-fixture';
import { isImageError } from './errors';
import { ancestorsOf, resolveImageGraph } from './image-graph';

/** The error that keeps `name` out of the graph built from these Dockerfiles. */
function brokenBy(dockerfiles: Record<string, string>, name: string): Error {
  const graph = resolveImageGraph(entriesOf(dockerfiles), 'ffreis');
  const broken = graph.broken.get(name);
  if (!broken) throw new Error(`expected ${name} to be broken`);
  expect(graph.nodes.has(name)).toBe(false);
  return broken.error;
}

describe('resolveImageGraph', () => {
  const graph = resolveImageGraph(entriesOf(), 'ffreis');

  it.each([
    ['base', []],
    ['base-builder', [{ name: 'base', arg: 'BASE_IMAGE', line: 1 }]],
    ['builder', [{ name: 'base-builder', arg: 'BASE_BUILDER_IMAGE', line: 1 }]],
    ['base-runner', [{ name: 'base', arg: 'BASE_IMAGE', line: 1 }]],
    [
      'runner',
      [
        { name: 'builder', arg: 'BUILDER_IMAGE', line: 1, copies: ['/app'] },
        { name: 'base-runner', arg: 'BASE_RUNNER_IMAGE', line: 2 },
      ],
    ],
  ])('%s has parents %j', (name, parents) => {
    expect(graph.nodes.get(name)?.parents).toEqual(parents);
  });

  it('keeps the pinned upstream as the only external reference, and only base builds from the pin', () => {
    const external = [...graph.nodes.values()].filter((n) => n.externalReferences.length > 0).map((n) => n.name);
    expect(external).toEqual(['base']);
    expect([...graph.nodes.values()].filter((n) => n.usesPin).map((n) => n.name)).toEqual(['base']);
  });

  it.each([
    ['its own upstream default', 'ARG BASE_IMAGE=debian:bookworm-slim\nFROM ${BASE_IMAGE}\n', false],
    ['the pin', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n', true],
    ['scratch', 'FROM scratch\nCOPY x /x\n', false],
  ])('takes the pin only for an image built from it: %s', (_case, text, pinned) => {
    const node = resolveImageGraph(entriesOf({ x: text }), 'ffreis').nodes.get('x');
    expect(node?.usesPin).toBe(pinned);
    if (text.startsWith('FROM scratch')) expect(node?.externalReferences).toEqual([]);
  });

  it('lists every ancestor once', () => {
    expect(ancestorsOf(graph, 'runner').sort()).toEqual(['base', 'base-builder', 'base-runner', 'builder']);
    expect(ancestorsOf(graph, 'base')).toEqual([]);
  });

  it('joins a new Dockerfile FROM a workspace image with no other edit', () => {
    const more = resolveImageGraph(
      entriesOf({ ...CHAIN_DOCKERFILES, debug: 'ARG RUNNER_IMAGE=ffreis/runner\nFROM ${RUNNER_IMAGE}\n' }),
      'ffreis',
    );
    expect(more.nodes.get('debug')?.parents.map((p) => p.name)).toEqual(['runner']);
  });

  it('names the file, line, image and next step for an unknown parent', () => {
    const error = brokenBy({ ...CHAIN_DOCKERFILES, extra: '# x\nARG PARENT=ffreis/nope:latest\nFROM ${PARENT}\n' }, 'extra');
    expect(isImageError(error, 'UNKNOWN_PARENT')).toBe(true);
    expect(error.message).toContain('images/extra/Dockerfile:2: image "extra" names parent "ffreis/nope:latest" (ARG PARENT)');
    expect(error.message).toContain('known: base, base-builder, base-runner, builder, extra, runner');
    expect(error.message).toContain('Create images/nope/Dockerfile');
  });

  it('refuses a workspace image named without an ARG, and says which ARG to declare', () => {
    const error = brokenBy({ ...CHAIN_DOCKERFILES, extra: 'FROM ffreis/base\n' }, 'extra');
    expect(isImageError(error, 'DOCKERFILE_INVALID')).toBe(true);
    expect(error.message).toContain('images/extra/Dockerfile:1: FROM names the workspace image "ffreis/base" directly');
    expect(error.message).toContain('ARG BASE_IMAGE=ffreis/base');
  });

  it('names both ends of a cycle and the lines that close it', () => {
    const error = brokenBy(
      { a: 'ARG B_IMAGE=ffreis/b\nFROM ${B_IMAGE}\n', b: 'ARG A_IMAGE=ffreis/a\nFROM ${A_IMAGE}\n', c: 'FROM debian:12\n' },
      'a',
    );
    expect(isImageError(error, 'CYCLE')).toBe(true);
    expect(error.message).toContain('Image cycle from "a" to "b": a → b → a');
    expect(error.message).toContain('images/a/Dockerfile:1 (a is built from b)');
    expect(error.message).toContain('images/b/Dockerfile:1 (b is built from a)');
  });

  it('reports an image built from itself', () => {
    const error = brokenBy({ a: 'ARG SELF=ffreis/a\nFROM ${SELF}\n' }, 'a');
    expect(error.message).toContain('Image cycle from "a" to "a": a → a');
  });

  it.each([
    [
      'a registry in front',
      'ARG REGISTRY=reg.example:5000\nARG TAG=1\nFROM ${REGISTRY}/ffreis/base:${TAG}\n',
      3,
      'FROM ${REGISTRY}/ffreis/base:${TAG}',
    ],
    ['a tag', 'FROM ffreis/base:1.2\n', 1, 'FROM names the workspace image "ffreis/base:1.2" directly'],
    ['a digest', `FROM ffreis/base@sha256:${'a'.repeat(64)}\n`, 1, 'FROM ffreis/base@sha256'],
    ['an ARG default with a digest', `ARG B=ffreis/base@sha256:${'a'.repeat(64)}\nFROM \${B}\n`, 1, 'ARG B=ffreis/base@sha256'],
    [
      'COPY --from with a tag',
      'FROM debian:12\nCOPY --from=ffreis/base:1 /x /x\n',
      2,
      'COPY --from=ffreis/base:1 names the workspace image "base"',
    ],
    [
      'COPY --from an ARG (docker 20.10 cannot parse it)',
      'ARG BASE_IMAGE=ffreis/base\nFROM debian:12\nCOPY --from=${BASE_IMAGE} /x /x\n',
      3,
      'COPY --from=${BASE_IMAGE} names the workspace image "base"',
    ],
  ])('refuses a workspace image named with %s, with file:line and the supported form', (_case, text, line, what) => {
    const error = brokenBy({ ...CHAIN_DOCKERFILES, extra: text }, 'extra');
    expect(isImageError(error, 'DOCKERFILE_INVALID')).toBe(true);
    expect(error.message).toContain(`images/extra/Dockerfile:${line}: ${what}`);
    expect(error.message).toMatch(/ARG BASE_IMAGE=ffreis\/base/);
  });

  it('says the stage form for a copy from a workspace image', () => {
    const error = brokenBy({ ...CHAIN_DOCKERFILES, extra: 'ARG B=ffreis/base\nFROM debian:12\nCOPY --from=${B} /x /x\n' }, 'extra');
    expect(error.message).toContain('add a stage `FROM ${BASE_IMAGE} AS base`, and use `COPY --from=base`');
  });

  it.each([
    ['FROM an ARG with no default', 'ARG X\nFROM ${X}\n', 2, 'FROM ${X} uses ARG X, which has no default'],
    ['COPY --from an ARG with no default', 'ARG T\nFROM debian:12\nCOPY --from=${T} /x /x\n', 3, 'COPY --from ${T} uses ARG T'],
  ])('refuses %s before any engine call, with file:line and the fix', (_case, text, line, what) => {
    const error = brokenBy({ ...CHAIN_DOCKERFILES, extra: text }, 'extra');
    expect(isImageError(error, 'DOCKERFILE_INVALID')).toBe(true);
    expect(error.message).toContain(`images/extra/Dockerfile:${line}: ${what}`);
    expect(error.message).toContain('Give it a default pinned by digest');
  });

  it.each([
    ['the pin', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n'],
    ['a platform ARG', 'ARG TARGETARCH\nFROM debian:12-${TARGETARCH}\n'],
    ['an ARG with a default', 'ARG X=debian:12\nFROM ${X}\n'],
  ])('takes %s as a name the build fills', (_case, text) => {
    const graph = resolveImageGraph(entriesOf({ extra: text }), 'ffreis');
    expect(graph.broken.get('extra')).toBeUndefined();
  });

  it('keeps every other image when one is broken', () => {
    const graph = resolveImageGraph(entriesOf({ ...CHAIN_DOCKERFILES, extra: 'FROM ffreis/base\n' }), 'ffreis');
    expect([...graph.nodes.keys()].sort()).toEqual(['base', 'base-builder', 'base-runner', 'builder', 'runner']);
  });

  it('ignores images of another prefix', () => {
    const other = resolveImageGraph(entriesOf({ a: 'ARG X=acme/b\nFROM ${X}\n' }), 'ffreis');
    expect(other.nodes.get('a')?.parents).toEqual([]);
  });
});
