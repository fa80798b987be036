import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest's globalSetup for every suite: the temporary folders tests make (os.tmpdir(), and the
 * TMPDIR of every command they start) go under one folder of this run's, removed when the run
 * ends, so no run leaves anything behind in the machine's /tmp, whatever a test forgot.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'nx-images-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
