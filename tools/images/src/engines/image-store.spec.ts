import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerAdapter } from './docker';
import { inspectImage } from './image-store';

/** inspectImage against a scripted client printing what `image inspect --format INSPECT_FORMAT` prints. */
describe('inspectImage', () => {
  let dir: string;
  const client = (line: string) => {
    const path = join(dir, 'docker');
    writeFileSync(path, `#!/bin/sh\ncat <<'EOF'\n${line}\nEOF\n`, { mode: 0o755 });
    return dockerAdapter(path);
  };
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'inspect-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads id, size, tags, labels (a value may hold "|") and the platform', async () => {
    const id = `sha256:${'a'.repeat(64)}`;
    const facts = await inspectImage(client(`${id}|12|["a:1"]|{"k":"x|y","org.ffreis.nx-hash":"42"}|linux/arm64`), 'a:1');
    expect(facts).toEqual({ id, sizeBytes: 12, tags: ['a:1'], labels: { k: 'x|y', 'org.ffreis.nx-hash': '42' }, platform: 'linux/arm64' });
  });
});
