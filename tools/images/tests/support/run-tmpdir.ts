import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeEngineDir } from './private-engine';

/** Set while a run's folder is the temporary folder: the next project's setup keeps it. */
const MARK = 'NX_IMAGES_TESTS_TMPDIR';

/**
 * Vitest's globalSetup for every suite: the temporary folders tests make (os.tmpdir(), and the
 * TMPDIR of every command they start) go under one folder of this run's, removed when the run
 * ends, so no run leaves anything behind in the machine's /tmp, whatever a test forgot. One
 * folder for all the projects of a run, with a short name: a private dockerd's containerd socket
 * lives below it, and a unix socket's path must stay under 108 bytes.
 */
export default function setup(): () => void {
  if (process.env[MARK] && process.env[MARK] === process.env.TMPDIR) return () => undefined;
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'nxi-'));
  process.env.TMPDIR = dir;
  process.env[MARK] = dir;
  return () => {
    // What an engine left mounted below it (a private engine that failed to start) is unmounted first.
    removeEngineDir(dir);
    delete process.env[MARK];
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
