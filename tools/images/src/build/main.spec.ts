import { describe, expect, it } from 'vitest';
import { argumentOverrides } from './main';

describe('argumentOverrides (options a project.json sets reach bin/build.sh as arguments)', () => {
  it.each([
    [['--target=runtime'], { target: 'runtime' }],
    [['--target', 'prod'], { target: 'prod' }],
    [['--platforms=linux/amd64,linux/arm64'], { platforms: 'linux/amd64,linux/arm64' }],
    [['--platforms=linux/arm64', '--platforms', 'linux/amd64'], { platforms: 'linux/arm64,linux/amd64' }],
    [['--unknown=1'], {}],
    [[], {}],
  ])('%j → %j', (argv, expected) => {
    expect(argumentOverrides(argv)).toEqual(expected);
  });
});
