import * as devkit from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import * as runtime from './nx-runtime';

describe("the plugin's values from Nx's own modules", () => {
  it.each(['logger', 'DependencyType', 'readCachedProjectGraph'] as const)('%s is the very one @nx/devkit exports', (name) => {
    expect(runtime[name]).toBeDefined();
    expect(runtime[name]).toBe(devkit[name]);
  });
});
