import { describe, expect, it } from 'vitest';
import { imageRef } from '../core/naming';
import { registryError } from './registry';

describe('an image in the registry', () => {
  it('is under the registry repository with its tag', () => {
    expect(imageRef('127.0.0.1:5000/ffreis', 'runner', '123')).toBe('127.0.0.1:5000/ffreis/runner:123');
  });
});

describe('registryError', () => {
  it('names the registry, the action, the engine’s reason and the next steps', () => {
    const error = registryError(
      '127.0.0.1:5001/team',
      'look for 127.0.0.1:5001/team/base:1',
      'Error response from daemon: Get "http://127.0.0.1:5001/v2/": dial tcp 127.0.0.1:5001: connect: connection refused',
    );
    expect(error.code).toBe('REGISTRY_UNREACHABLE');
    expect(error.message).toContain('The registry 127.0.0.1:5001/team could not be reached to look for 127.0.0.1:5001/team/base:1');
    expect(error.message).toContain('connect: connection refused');
    expect(error.message).toContain('IMAGE_REGISTRY_BEST_EFFORT=1');
    expect(error.message).toContain('unset IMAGE_REGISTRY');
  });

  it('says how to allow a plain-HTTP registry', () => {
    const error = registryError('reg.local:5000/x', 'push', 'http: server gave HTTP response to HTTPS client');
    expect(error.message).toContain('add "reg.local:5000" to the daemon\'s insecure-registries');
  });
});
