import { describe, expect, it } from 'vitest';
import { entriesOf, CHAIN_DOCKERFILES } from '../testing/chain-fixture';
import { isImageError } from './errors';
import { ancestorsOf, resolveImageGraph } from './image-graph';

function errorOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('resolveImageGraph', () => {
  const graph = resolveImageGraph(entriesOf(), 'ffreis');

  it.each([
    ['base', []],
    ['base-builder', [{ name: 'base', arg: 'BASE_IMAGE', line: 1 }]],
    ['builder', [{ name: 'base-builder', arg: 'BASE_BUILDER_IMAGE', line: 1 }]],
    ['base-runner', [{ name: 'base', arg: 'BASE_IMAGE', line: 1 }]],
    ['runner', [{ name: 'builder', arg: 'BUILDER_IMAGE', line: 1 }, { name: 'base-runner', arg: 'BASE_RUNNER_IMAGE', line: 2 }]],
  ])('%s has parents %j', (name, parents) => {
    expect(graph.nodes.get(name)?.parents).toEqual(parents);
  });

  it('keeps the pinned upstream as the only external reference', () => {
    const external = [...graph.nodes.values()].filter((n) => n.externalReferences.length > 0).map((n) => n.name);
    expect(external).toEqual(['base']);
  });

  it('orders parents before children', () => {
    const order = graph.order;
    for (const node of graph.nodes.values()) {
      for (const parent of node.parents) expect(order.indexOf(parent.name)).toBeLessThan(order.indexOf(node.name));
    }
  });

  it('lists every ancestor once', () => {
    expect(ancestorsOf(graph, 'runner').sort()).toEqual(['base', 'base-builder', 'base-runner', 'builder']);
    expect(ancestorsOf(graph, 'base')).toEqual([]);
  });

  it('joins a new Dockerfile FROM a workspace image with no other edit', () => {
    const more = resolveImageGraph(entriesOf({ ...CHAIN_DOCKERFILES, debug: 'ARG RUNNER_IMAGE=ffreis/runner\nFROM ${RUNNER_IMAGE}\n' }), 'ffreis');
    expect(more.nodes.get('debug')?.parents.map((p) => p.name)).toEqual(['runner']);
  });

  it('names the file, line, image and next step for an unknown parent', () => {
    const error = errorOf(() => resolveImageGraph(entriesOf({ ...CHAIN_DOCKERFILES, extra: '# x\nARG PARENT=ffreis/nope:latest\nFROM ${PARENT}\n' }), 'ffreis'));
    expect(isImageError(error, 'UNKNOWN_PARENT')).toBe(true);
    expect(error.message).toContain('images/extra/Dockerfile:2: image "extra" names parent "ffreis/nope:latest" (ARG PARENT)');
    expect(error.message).toContain('known: base, base-builder, base-runner, builder, extra, runner');
    expect(error.message).toContain('Create images/nope/Dockerfile');
  });

  it('refuses a workspace image named without an ARG, and says which ARG to declare', () => {
    const error = errorOf(() => resolveImageGraph(entriesOf({ ...CHAIN_DOCKERFILES, extra: 'FROM ffreis/base\n' }), 'ffreis'));
    expect(isImageError(error, 'DOCKERFILE_INVALID')).toBe(true);
    expect(error.message).toContain('images/extra/Dockerfile:1: FROM names the workspace image "ffreis/base" directly');
    expect(error.message).toContain('ARG BASE_IMAGE=ffreis/base');
  });

  it('names both ends of a cycle and the lines that close it', () => {
    const error = errorOf(() =>
      resolveImageGraph(entriesOf({ a: 'ARG B_IMAGE=ffreis/b\nFROM ${B_IMAGE}\n', b: 'ARG A_IMAGE=ffreis/a\nFROM ${A_IMAGE}\n' }), 'ffreis'),
    );
    expect(isImageError(error, 'CYCLE')).toBe(true);
    expect(error.message).toContain('Image cycle from "a" to "b": a → b → a');
    expect(error.message).toContain('images/a/Dockerfile:1 (a is built from b)');
    expect(error.message).toContain('images/b/Dockerfile:1 (b is built from a)');
  });

  it('reports an image built from itself', () => {
    const error = errorOf(() => resolveImageGraph(entriesOf({ a: 'ARG SELF=ffreis/a\nFROM ${SELF}\n' }), 'ffreis'));
    expect(error.message).toContain('Image cycle from "a" to "a": a → a');
  });

  it('ignores images of another prefix', () => {
    const other = resolveImageGraph(entriesOf({ a: 'ARG X=acme/b\nFROM ${X}\n' }), 'ffreis');
    expect(other.nodes.get('a')?.parents).toEqual([]);
  });
});
