import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyDigestOverrides, parseDigestsFile, type Digests } from '../core/digests';
import { ImageError } from '../core/errors';

/** Reads and validates the digests file, applying env overrides. Fails before any engine call. */
export function loadDigests(workspaceRoot: string, file: string, env: Record<string, string | undefined>): Digests {
  let content: string;
  try {
    content = readFileSync(join(workspaceRoot, file), 'utf8');
  } catch {
    throw new ImageError(
      'DIGESTS_FILE_MISSING',
      `${file}: the digests file is missing. Create it with BASE_IMAGE=<image>:<tag> and BASE_DIGEST=sha256:<64 hex>, or set the ` +
        `plugin option digestsFile.`,
    );
  }
  return applyDigestOverrides(parseDigestsFile(content, file), env);
}
