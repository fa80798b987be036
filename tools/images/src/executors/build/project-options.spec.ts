import { describe, expect, it } from 'vitest';
import { isImageError } from '../../core/errors';
import type { BuildTargetOptions } from '../../core/build-options';
import { argumentOverrides, INFERRED, PER_PROJECT, PLUGIN_WIDE, withProjectOptions } from './project-options';
import schema from './schema.json';

const inferred: BuildTargetOptions = {
  name: 'runner',
  prefix: 'ffreis',
  dockerfile: 'images/runner/Dockerfile',
  context: '.',
  outputDir: 'dist/images',
  parents: [{ name: 'base-runner', arg: 'BASE_RUNNER_IMAGE' }],
  engine: 'docker',
  labels: { 'org.opencontainers.image.licenses': 'MIT', team: 'core' },
  secrets: { npmrc: '/home/me/.npmrc' },
};
const WHERE = 'images/runner/project.json';

function refusal(own: Record<string, unknown>): string {
  try {
    withProjectOptions(inferred, own, WHERE);
  } catch (error) {
    expect(isImageError(error, 'BAD_OPTION')).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(own)} was accepted`);
}

describe('withProjectOptions (what an image’s own build target sets)', () => {
  it('covers every option of the schema: each is settable per image, plugin-wide or inferred', () => {
    const classified = [...Object.keys(PER_PROJECT), ...PLUGIN_WIDE, ...INFERRED];
    for (const key of Object.keys(schema.properties)) expect(classified).toContain(key);
  });

  it.each([
    [{ target: 'prod' }, { target: 'prod' }],
    [{ network: 'host' }, { network: 'host' }],
    [{ registry: '127.0.0.1:5000/team' }, { registry: '127.0.0.1:5000/team' }],
    [{ registryBestEffort: true }, { registryBestEffort: true }],
    [{ registryBestEffort: 'false' }, { registryBestEffort: false }],
    [{ platforms: ['linux/amd64', 'linux/arm64'] }, { platforms: ['linux/amd64', 'linux/arm64'] }],
    [{ platforms: 'linux/arm64' }, { platforms: 'linux/arm64' }],
    [{ labels: { team: 'payments', tier: '1' } }, { labels: { 'org.opencontainers.image.licenses': 'MIT', team: 'payments', tier: '1' } }],
    [{ secrets: { pip: 'pip.conf' } }, { secrets: { npmrc: '/home/me/.npmrc', pip: 'pip.conf' } }],
  ])('%j → %j, the rest inferred', (own, expected) => {
    expect(withProjectOptions(inferred, own, WHERE)).toEqual({ ...inferred, ...expected });
  });

  it('ignores the runner’s own keys (command, env) the inferred target uses', () => {
    expect(withProjectOptions(inferred, { command: 'exec sh build.sh', env: { A: '1' }, __unparsed__: [] }, WHERE)).toEqual(inferred);
  });

  it.each(PLUGIN_WIDE)('refuses "%s", saying to set it in nx.json’s plugin options', (key) => {
    const message = refusal({ [key]: 'x' });
    expect(message).toContain(WHERE);
    expect(message).toContain(`"${key}" holds for the whole chain`);
    expect(message).toMatch(/Set it in the options of the @ffreis\/nx-images plugin in nx.json/);
  });

  it.each(INFERRED)('refuses "%s", which the Dockerfile decides', (key) => {
    expect(refusal({ [key]: 'x' })).toContain(`"${key}" is read from the image's Dockerfile`);
  });

  it('refuses an unknown option with the list of those that work', () => {
    expect(refusal({ lables: { a: 'b' } })).toMatch(/"lables" is not an option of the build target\. An image may set: target, platforms/);
  });

  it.each([
    [{ labels: 'team=core' }, /"labels" must be an object of strings/],
    [{ labels: { n: 1 } }, /"labels" must be an object of strings/],
    [{ secrets: ['a'] }, /"secrets" must be an object of strings/],
    [{ registryBestEffort: 'yes' }, /"registryBestEffort" must be true or false/],
    [{ platforms: [1] }, /"platforms" must be a list of platforms/],
    [{ network: 7 }, /"network" must be a string/],
  ])('refuses a value of the wrong type: %j', (own, message) => {
    expect(refusal(own)).toMatch(message);
  });
});

describe('argumentOverrides (options on the command line, or forwarded by nx:run-commands)', () => {
  it.each([
    [['--target=runtime'], { target: 'runtime' }],
    [['--target', 'prod'], { target: 'prod' }],
    [['--platforms=linux/amd64,linux/arm64'], { platforms: 'linux/amd64,linux/arm64' }],
    [['--platforms=linux/arm64', '--platforms', 'linux/amd64'], { platforms: 'linux/arm64,linux/amd64' }],
    [['--registry-best-effort'], { registryBestEffort: 'true' }],
    [['--network=host', '--unknown=1'], { network: 'host', unknown: '1' }],
    [['positional'], {}],
    [[], {}],
  ])('%j → %j', (argv, expected) => {
    expect(argumentOverrides(argv)).toEqual(expected);
  });
});

describe('the schema says which options an image may set', () => {
  it('lists exactly the per-image options, in order', () => {
    const listed = /may set (.*?) \(added/.exec(schema.description)?.[1] ?? '';
    expect(listed.replace(/ \(added to the inferred ones\)| and /g, ', ').split(', ')).toEqual(
      Object.keys(PER_PROJECT)
        .filter((k) => k !== 'secrets' && k !== 'labels')
        .concat('labels'),
    );
  });
});
