import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerAdapter } from './docker';
import { inspectImage, inspectImages, removeTag } from './image-store';
import { SCRATCH_LABEL } from '../core/naming';
import { INSPECT_FORMAT } from './types';

/** A docker client in `dir` that runs these shell lines. */
function scriptedDocker(dir: string, lines: string[]) {
  const path = join(dir, 'docker');
  writeFileSync(path, ['#!/bin/sh', ...lines, ''].join('\n'), { mode: 0o755 });
  return dockerAdapter(path);
}

/** inspectImage against a scripted client printing what `image inspect --format INSPECT_FORMAT` prints. */
describe('inspectImage', () => {
  let dir: string;
  const client = (line: string) => scriptedDocker(dir, ["cat <<'EOF'", line, 'EOF']);
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'inspect-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads id, size, tags, labels (a value may hold "|") and the platform', async () => {
    const id = `sha256:${'a'.repeat(64)}`;
    const facts = await inspectImage(client(`${id}|12|["a:1"]|{"k":"x|y","org.ffreis.nx-hash":"42"}|linux/arm64`), 'a:1');
    expect(facts).toEqual({ id, sizeBytes: 12, tags: ['a:1'], labels: { k: 'x|y', 'org.ffreis.nx-hash': '42' }, platform: 'linux/arm64' });
  });
});

/** inspectImages against a client that answers as docker does: a line per image held, an error per missing one. */
describe('inspectImages', () => {
  let dir: string;
  const id = (c: string) => `sha256:${c.repeat(64)}`;
  const client = () =>
    scriptedDocker(dir, [
      `echo "$*" >> ${join(dir, 'calls')}`,
      'shift 4; rc=0',
      'for ref in "$@"; do case $ref in',
      `  a:1) echo '${id('a')}|1|["a:1"]|{"org.ffreis.nx-hash":"1"}|linux/amd64' ;;`,
      `  b:2) echo '${id('b')}|2|["b:2"]|null|linux/amd64' ;;`,
      '  *) echo "Error: No such image: $ref" >&2; rc=1 ;;',
      'esac; done; exit $rc',
    ]);
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'inspect-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks for every image in one call and reads the answers in the order asked', async () => {
    const facts = await inspectImages(client(), ['b:2', 'a:1']);
    expect(facts.map((f) => f?.id)).toEqual([id('b'), id('a')]);
    expect(facts[1]?.labels).toEqual({ 'org.ffreis.nx-hash': '1' });
    expect(calls()).toHaveLength(1);
  });

  it('asks each alone when one is missing, so the missing one reads as undefined and the order holds', async () => {
    const facts = await inspectImages(client(), ['c:3', 'a:1']);
    expect(facts.map((f) => f?.id)).toEqual([undefined, id('a')]);
    expect(calls()).toHaveLength(3);
  });
});

/**
 * removeTag against a client that answers as docker does when a container uses the image:
 * the first `rmi` is refused while the container exists; `rm` removes it.
 */
describe('removeTag', () => {
  let dir: string;
  const conflict =
    'Error response from daemon: conflict: unable to remove repository reference "a:1" (must force) - ' +
    'container c1 is using its referenced image 5a';
  const client = (scratch: string) =>
    scriptedDocker(dir, [
      `echo "$*" >> ${join(dir, 'calls')}`,
      'case $1 in',
      `  rmi) if [ -e ${join(dir, 'removed')} ]; then echo "Untagged: $2"; else echo '${conflict}' >&2; exit 1; fi ;;`,
      `  image) echo 'sha256:${'5a'.repeat(32)}|1|["a:1"]|null|linux/amd64' ;;`,
      `  ps) printf '${scratch}' ;;`,
      `  rm) touch ${join(dir, 'removed')} ;;`,
      'esac',
    ]);
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'remove-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the scratch containers that hold the image (by its id), and only those, then the tag', async () => {
    await removeTag(client('c1\\n'), 'a:1');
    expect(calls()).toEqual([
      'rmi a:1',
      `image inspect --format ${INSPECT_FORMAT} a:1`,
      `ps --all --quiet --no-trunc --filter label=${SCRATCH_LABEL} --filter ancestor=${'5a'.repeat(32)}`,
      'rm --force c1',
      'rmi a:1',
    ]);
  });

  it('fails naming the command when another container holds the image, and removes no container', async () => {
    await expect(removeTag(client(''), 'a:1')).rejects.toThrow(/rmi a:1 failed: .*container c1 is using its referenced image/);
    expect(calls().filter((c) => c.startsWith('rm '))).toEqual([]);
    expect(calls().filter((c) => c.startsWith('rmi '))).toHaveLength(4);
  });
});
