import { describe, expect, it } from 'vitest';
import { decideAcquisition, identityProblem, type AcquireFacts } from './acquire';

const ID = (c: string) => `sha256:${c.repeat(64)}`;
const REF = 'ffreis/runner:42';

describe('decideAcquisition (pure: no engine)', () => {
  it.each<[string, AcquireFacts, ReturnType<typeof decideAcquisition>]>([
    [
      'this hash’s image, as recorded',
      { hash: '42', held: { id: ID('a'), hashLabel: '42' }, record: { imageId: ID('a') }, registry: false },
      { action: 'present' },
    ],
    [
      'this hash’s image, no record (a fresh clone)',
      { hash: '42', held: { id: ID('a'), hashLabel: '42' }, registry: true },
      { action: 'present' },
    ],
    ['nothing, no registry', { hash: '42', registry: false }, { action: 'build', restoring: false }],
    ['nothing, a registry', { hash: '42', registry: true }, { action: 'pull', restoring: false }],
    [
      'a recorded image the engine lost, a registry',
      { hash: '42', record: { imageId: ID('a') }, registry: true },
      { action: 'pull', restoring: true },
    ],
    [
      'a recorded image the engine lost, no registry',
      { hash: '42', record: { imageId: ID('a') }, registry: false },
      { action: 'build', restoring: true },
    ],
  ])('%s', (_case, facts, decision) => {
    expect(decideAcquisition(REF, facts)).toEqual(decision);
  });

  it.each<[string, AcquireFacts, RegExp]>([
    [
      'another hash’s image',
      { hash: '42', held: { id: ID('b'), hashLabel: '7' }, registry: false },
      /^ffreis\/runner:42 holds image b{12} labelled for hash 7, not this hash's build: not reusing it$/,
    ],
    [
      'an unlabelled image',
      { hash: '42', held: { id: ID('b') }, registry: true },
      /^ffreis\/runner:42 holds image b{12} with no hash label, not this hash's build/,
    ],
    [
      'an image that is not the recorded one',
      { hash: '42', held: { id: ID('b'), hashLabel: '42' }, record: { imageId: ID('a') }, registry: false },
      /^ffreis\/runner:42 holds image b{12}, but the build record names a{12}/,
    ],
  ])('does not reuse %s, and says what it found', (_case, facts, note) => {
    const decision = decideAcquisition(REF, facts);
    expect(decision.action).toBe(facts.registry ? 'pull' : 'build');
    expect(decision.action !== 'present' && decision.note).toMatch(note);
  });

  it('always hands an image the hash cannot cover to the engine, even when one is present', () => {
    expect(
      decideAcquisition(REF, {
        hash: '42',
        alwaysBuild: 'images/x/Dockerfile:3 ADD https://x: remote content',
        held: { id: ID('a'), hashLabel: '42' },
        registry: true,
      }),
    ).toEqual({
      action: 'build',
      restoring: false,
      note: 'handed to the engine on every run: images/x/Dockerfile:3 ADD https://x: remote content',
    });
  });

  it('accepts an image by its label and recorded id only', () => {
    expect(identityProblem(REF, { id: ID('a'), hashLabel: '42' }, '42', { imageId: ID('a') })).toBeUndefined();
    expect(identityProblem(REF, { id: ID('a'), hashLabel: '42' }, '43')).toMatch(/labelled for hash 42/);
  });
});
