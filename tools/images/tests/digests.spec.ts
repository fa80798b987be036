import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, engine, removeRepositories } from './support/engine';
import { startRegistry, type TestRegistry } from './support/registry';
import { CHAIN, changedImages, createTestWorkspace, type TestWorkspace } from './support/workspace';

const PREFIX = 'itest-pin';
const FILE = 'images/base/digests.env';
/** The file is the only pin: CI's BASE_IMAGE/BASE_DIGEST overrides are off here. */
const noOverrides = { BASE_IMAGE: undefined, BASE_DIGEST: undefined };
const GOOD_DIGEST = `sha256:${'a'.repeat(64)}`;

describe('the digests file: validated before any engine call, checked and updated against a real registry', () => {
  let registry: TestRegistry;
  let ws: TestWorkspace;
  let upstream: string;

  /** Pushes the pinned Debian base plus one label under `upstream`, returning the new digest. */
  async function pushUpstream(label: string): Promise<string> {
    const built = await engine(['build', '-t', upstream, '-'], {
      input: `FROM ${process.env.BASE_IMAGE}@${process.env.BASE_DIGEST}\nLABEL org.ffreis.test.upstream=${label}\n`,
      env: { DOCKER_BUILDKIT: '0' },
    });
    expect(built.exitCode, built.all).toBe(0);
    const pushed = await engine(['push', upstream]);
    expect(pushed.exitCode, pushed.all).toBe(0);
    return /digest: (sha256:[0-9a-f]{64})/.exec(pushed.all)?.[1] as string;
  }

  beforeAll(async () => {
    await assertEngineReady();
    registry = await startRegistry(5002);
    upstream = `${registry.address}/upstream/debian:stable`;
    ws = createTestWorkspace(PREFIX);
    await removeRepositories(CHAIN.map((name) => `${PREFIX}/${name}`));
  });

  afterAll(async () => {
    await removeRepositories([...CHAIN.map((name) => `${PREFIX}/${name}`), `${registry?.address}/upstream/debian`]);
    ws?.remove();
    await registry?.stop().catch(() => undefined);
  });

  it.each([
    [
      'a line that is not KEY=VALUE',
      `BASE_IMAGE=debian:12\nnot a pair\nBASE_DIGEST=${GOOD_DIGEST}\n`,
      `${FILE}:2: "not a pair" is not a KEY=VALUE line`,
    ],
    [
      'a malformed digest',
      `# pin\nBASE_IMAGE=debian:12\nBASE_DIGEST=sha256:1234\n`,
      `${FILE}:3: BASE_DIGEST "sha256:1234" is not a digest: expected "sha256:" followed by 64 lowercase hex digits`,
    ],
    [
      'a duplicate key',
      `BASE_IMAGE=debian:12\nBASE_DIGEST=${GOOD_DIGEST}\nBASE_IMAGE=debian:13\n`,
      `${FILE}:3: duplicate key BASE_IMAGE (first set at line 1)`,
    ],
    ['an unknown key', `BASE_IMAGE=debian:12\nBASE_DIGEST=${GOOD_DIGEST}\nBASE_TAG=12\n`, `${FILE}:3: unknown key BASE_TAG`],
    ['a missing key', `BASE_IMAGE=debian:12\n`, `${FILE}: missing key BASE_DIGEST`],
  ])('stops on %s with file:line, before any engine call', async (_case, content, message) => {
    const saved = ws.read(FILE);
    ws.write(FILE, content);
    try {
      // An engine call would fail with "not reachable through DOCKER_HOST": seeing the digests error instead proves none was made.
      const result = await ws.nx(['run-many', '-t', 'build'], { ...noOverrides, DOCKER_HOST: 'unix:///tmp/no-engine-here.sock' });
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toContain(message);
      expect(result.output).not.toContain('not reachable');
    } finally {
      ws.write(FILE, saved);
    }
  });

  it('flags a stale pin, updates it in place, and the next build rebuilds all five', async () => {
    const first = await pushUpstream('one');
    const original = `# The upstream, pinned.\nBASE_IMAGE=${upstream}\n\n# moved by update-digest\nBASE_DIGEST=${first}\n`;
    ws.write(FILE, original);
    const built = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], noOverrides);
    expect(built.exitCode, built.output).toBe(0);
    const before = ws.refs();

    const fresh = await ws.nx(['run', 'base:update-digest', '--check'], noOverrides);
    expect(fresh.exitCode, fresh.output).toBe(0);
    expect(fresh.output).toContain(`is pinned to its current digest ${first}`);

    const second = await pushUpstream('two');
    expect(second).not.toBe(first);
    const check = await ws.nx(['run', 'base:update-digest', '--check'], noOverrides);
    expect(check.exitCode).not.toBe(0);
    expect(check.output).toContain(`the pin of ${upstream} is stale`);
    expect(check.output).toContain(`pinned  ${first}`);
    expect(check.output).toContain(`current ${second}`);
    expect(ws.read(FILE)).toBe(original);

    const update = await ws.nx(['run', 'base:update-digest'], noOverrides);
    expect(update.exitCode, update.output).toBe(0);
    expect(ws.read(FILE)).toBe(original.replace(first, second));

    const rebuilt = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], noOverrides);
    expect(rebuilt.exitCode, rebuilt.output).toBe(0);
    expect(changedImages(before, ws.refs())).toEqual([...CHAIN].sort());
  });

  it('checks the pin the environment sets (it is the one builds use), and leaves the file, which names another', async () => {
    const first = await pushUpstream('env-one');
    const filePin = `BASE_IMAGE=${registry.address}/upstream/debian:file-only\nBASE_DIGEST=${GOOD_DIGEST}\n`;
    ws.write(FILE, filePin);
    const env = { BASE_IMAGE: upstream, BASE_DIGEST: first };
    const fresh = await ws.nx(['run', 'base:update-digest', '--check'], env);
    expect(fresh.exitCode, fresh.output).toBe(0);
    expect(fresh.output).toContain(`BASE_IMAGE and BASE_DIGEST in the environment: ${upstream} is pinned to its current digest ${first}`);
    const second = await pushUpstream('env-two');
    const update = await ws.nx(['run', 'base:update-digest'], env);
    expect(update.exitCode).not.toBe(0);
    expect(update.output).toContain(`the pin of ${upstream} is stale`);
    expect(update.output).toContain(`Set BASE_DIGEST=${second} where you set BASE_IMAGE and BASE_DIGEST`);
    expect(ws.read(FILE)).toBe(filePin);
  });

  it('names an unknown tag and leaves the file untouched', async () => {
    const pinned = `BASE_IMAGE=${registry.address}/upstream/debian:no-such-tag\nBASE_DIGEST=${GOOD_DIGEST}\n`;
    ws.write(FILE, pinned);
    const result = await ws.nx(['run', 'base:update-digest'], noOverrides);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain(`${registry.address} has no tag upstream/debian:no-such-tag (HTTP 404`);
    expect(ws.read(FILE)).toBe(pinned);
  });

  it('names an unreachable registry and leaves the file untouched', async () => {
    const pinned = `BASE_IMAGE=${upstream}\nBASE_DIGEST=${GOOD_DIGEST}\n`;
    ws.write(FILE, pinned);
    await registry.stop();
    const result = await ws.nx(['run', 'base:update-digest', '--check'], noOverrides);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain(`The registry ${registry.address} could not be reached (ECONNREFUSED)`);
    expect(result.output).toContain('The digests file was not changed.');
    expect(ws.read(FILE)).toBe(pinned);
  });
});
