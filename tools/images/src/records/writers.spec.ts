import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Per-image state (`dist/images/<name>/`, docs/architecture.md) has one writer: the modules of
 * records/. Every other module that writes a file is named here with what it writes, none of it
 * in an image's folder. (bin/build.sh writes a present image's run or preview mark, without
 * Node; build/build-sh.spec.ts checks its bytes are the ones records/run-marks.ts writes.)
 */
const OTHER_WRITERS: Record<string, string> = {
  'io/atomic-file.ts': 'the atomic write (temp file, then rename) the records and caches use',
  'io/image-lock.ts': 'the per-image lock, .lock and .lock-holder.json (proper-lockfile), not state',
  'engines/client-version.ts': 'the client version cache, node_modules/.cache/nx-images',
  'engines/registry.ts': 'a scratch build context in the temporary folder (an attachment pushed as an image)',
  'engines/run-engine.ts': 'a command’s input in the temporary folder, mode 0600',
  'executors/update-digest/executor.ts': 'the digests file (images/base/digests.env)',
  'executors/build/progress.ts': 'progress lines to the nx command’s output',
  'plugin/view-hook.ts': 'the run’s view under .nx/workspace-data/nx-images/views',
  'plugin/parse-cache.ts': 'the Dockerfile parse cache under .nx/workspace-data',
  'plugin/build-summary.ts': 'dist/images/summary.json, and the summary to the nx command’s output',
  'docs/write-schemas.ts': 'the executors’ schema.json files (a maintainer’s command)',
  'docs/write-readme-graph.ts': 'the README’s graph (a maintainer’s command)',
};
const WRITES = /\b(writeFileSync|writeFileAtomic|appendFileSync|createWriteStream|renameSync|copyFileSync|writeSync)\(/;
const ROOT = join(__dirname, '..');
const sources = (readdirSync(ROOT, { recursive: true }) as string[])
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.includes('testing/'))
  .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));

describe('who writes files', () => {
  it('outside records/, only the modules named here, each for what it says', () => {
    const writers = sources.filter(({ file, text }) => !file.startsWith('records/') && WRITES.test(text)).map(({ file }) => file);
    expect(writers.sort()).toEqual(Object.keys(OTHER_WRITERS).sort());
  });
});
