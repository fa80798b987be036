import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyDigestOverrides, DIGEST_KEYS, parseDigestsFile, rewriteDigest } from '../../core/digests';
import { ImageError } from '../../core/errors';
import { resolveTagDigest } from '../../oci/distribution';
import { locateImage } from '../../oci/reference';
import { writeFileAtomic } from '../../io/atomic-file';
import { reportFailure } from '../report';

export interface UpdateDigestOptions {
  name: string;
  digestsFile: string;
  /** Only report: exit non-zero when the pin is stale, change nothing. Default false. */
  check?: boolean;
  /** A mirror host serving the same repository paths; `DIGEST_REGISTRY` overrides it. Default: the image's own registry. */
  registry?: string;
}

/**
 * Moves the pin: asks the registry which digest BASE_IMAGE's tag points at now and
 * rewrites BASE_DIGEST in the digests file (atomically, keeping everything else).
 * With `--check`, reports a stale pin and exits non-zero instead. BASE_IMAGE/BASE_DIGEST
 * in the environment are the pin builds use, so they are the one checked; the file is then
 * not written (it names another pin), and the message says what to set instead.
 */
export default async function updateDigestExecutor(options: UpdateDigestOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const file = join(context.root, options.digestsFile);
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch {
      throw new ImageError('DIGESTS_FILE_MISSING', `${options.digestsFile}: the digests file is missing.`);
    }
    const inFile = parseDigestsFile(content, options.digestsFile);
    // The pin builds use: the environment's BASE_IMAGE/BASE_DIGEST over the file's (as the build reads them).
    const digests = applyDigestOverrides(inFile, process.env);
    const overridden = DIGEST_KEYS.filter((key) => process.env[key] && process.env[key] !== inFile[key]);
    const from = overridden.length > 0 ? `${overridden.join(' and ')} in the environment` : options.digestsFile;
    const location = locateImage(digests.BASE_IMAGE, process.env.DIGEST_REGISTRY || options.registry);
    const current = await resolveTagDigest(location, undefined, 'The digests file was not changed.');
    if (current === digests.BASE_DIGEST) {
      console.log(`${from}: ${digests.BASE_IMAGE} is pinned to its current digest ${current}.`);
      return { success: true };
    }
    const stale =
      `${from}: the pin of ${digests.BASE_IMAGE} is stale:\n  pinned  ${digests.BASE_DIGEST}\n  ` +
      `current ${current} (from ${location.host})`;
    if (options.check) {
      console.error(`${stale}\nUpdate it: npx nx run ${options.name}:update-digest`);
      return { success: false };
    }
    if (overridden.length > 0) {
      // The file names another pin than the one builds use: writing it would change nothing they read.
      console.error(
        `${stale}\n${options.digestsFile} was not changed: builds take ${overridden.join(' and ')} from the environment. ` +
          `Set BASE_DIGEST=${current} where you set ${overridden.join(' and ')}, or unset ${overridden.join(' and ')} to ` +
          `update the file.`,
      );
      return { success: false };
    }
    writeFileAtomic(file, rewriteDigest(content, current));
    console.log(`${stale}\n${options.digestsFile}: BASE_DIGEST updated; the next build rebuilds every image.`);
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
