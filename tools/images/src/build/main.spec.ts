import { afterEach, describe, expect, it } from 'vitest';
import { isImageError } from '../core/errors';
import { noteStartedWithoutExtraCerts, resolveTagDigest } from '../oci/distribution';
import { locateImage } from '../oci/reference';
import { restoreExtraCerts } from './main';

describe('restoreExtraCerts (bin/build.sh starts a build without NODE_EXTRA_CA_CERTS)', () => {
  afterEach(() => noteStartedWithoutExtraCerts(undefined));

  it('puts the variable back for the engine’s children, and refuses registry calls in this process', async () => {
    const env: NodeJS.ProcessEnv = { NX_IMAGES_EXTRA_CA_CERTS: '/etc/corp/ca.pem', PATH: '/bin' };
    restoreExtraCerts(env);
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem', PATH: '/bin' });
    const error = await resolveTagDigest(locateImage('127.0.0.1:59173/debian:12')).catch((e: unknown) => e);
    expect(isImageError(error, 'REGISTRY_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      /was not asked: this process started without the certificates of NODE_EXTRA_CA_CERTS \(\/etc\/corp\/ca\.pem\)/,
    );
  });

  it('changes nothing when the program was started with its certificates', async () => {
    const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem' };
    restoreExtraCerts(env);
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: '/etc/corp/ca.pem' });
    // The registry is asked (and is not there).
    await expect(resolveTagDigest(locateImage('127.0.0.1:59173/debian:12'))).rejects.toThrow(/could not be reached \(ECONNREFUSED\)/);
  });
});
