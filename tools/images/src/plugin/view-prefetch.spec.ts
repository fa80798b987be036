import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type EngineView = typeof import('../engines/view');
type ViewHook = typeof import('./view-hook');

/** A docker client that logs each call and lists one image. */
function fakeClient(dir: string, name: string, delay = 0): string {
  const client = join(dir, name);
  writeFileSync(
    client,
    `#!/bin/sh\necho "$0 $*" >> ${join(dir, 'calls')}\n${delay ? `sleep ${delay}\n` : ''}` +
      // The listing, then the inspect of the images under :latest for their hash labels.
      `case "$1" in image) echo 'sha256:aaa 111' ;; *) echo 'ffreis/base:latest sha256:aaa' ;; esac\n`,
  );
  chmodSync(client, 0o755);
  return client;
}

describe('the engine listing started while Nx builds the graph', () => {
  let dir: string;
  let view: EngineView;
  let viewHook: ViewHook;
  /** The listings asked (each followed by one inspect of the labels). */
  const calls = () =>
    readFileSync(join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .filter((call) => !/ image inspect /.test(call));
  const hook = async () => {
    await viewHook.preTasksExecution({ prefix: 'ffreis' }, { id: '1', workspaceRoot: dir, nxJsonConfiguration: {}, argv: [] });
    return process.env[view.VIEW_ENV] ?? '';
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engine-view-'));
    vi.resetModules();
    view = await import('../engines/view');
    viewHook = await import('./view-hook');
    vi.stubEnv('CONTAINER_ENGINE', 'docker');
    vi.stubEnv('CONTAINER_CLIENT', fakeClient(dir, 'docker'));
    vi.stubEnv(view.VIEW_ENV, 'stale');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is the run's view: the hook asks the engine no second time", async () => {
    view.prefetchEngineView({ prefix: 'ffreis' }, true);
    view.prefetchEngineView({ prefix: 'ffreis' }, true);
    expect(await hook()).toMatch(/^view2\|settings1\|[^|]*\|[^|]*\|docker\|.*\nffreis\/base aaa latest 111\n/);
    expect(calls()).toHaveLength(1);
  });

  it('is never started in the daemon or a plugin worker, which outlive runs: the hook asks the engine itself', async () => {
    view.prefetchEngineView({ prefix: 'ffreis' }, false);
    expect(await hook()).toMatch(/^view2\|settings1\|[^|]*\|[^|]*\|docker\|/);
    expect(calls()).toHaveLength(1);
  });

  it('serves one run only: the next run asks the engine again', async () => {
    view.prefetchEngineView({ prefix: 'ffreis' }, true);
    await hook();
    await hook();
    expect(calls()).toHaveLength(2);
  });

  it('is not taken for another client or store: the hook asks with its own settings', async () => {
    view.prefetchEngineView({ prefix: 'ffreis' }, true);
    const other = fakeClient(dir, 'other-docker');
    vi.stubEnv('CONTAINER_CLIENT', other);
    expect(await hook()).toContain(`|${other}|`);
    vi.stubEnv('DOCKER_HOST', 'unix:///elsewhere.sock');
    view.prefetchEngineView({ prefix: 'ffreis' }, true);
    expect(await hook()).toContain('|unix:///elsewhere.sock|');
    expect(calls().filter((c) => c.startsWith(other))).toHaveLength(2);
  });

  it('is not taken when older than a few seconds', async () => {
    const started = Date.now();
    view.prefetchEngineView({ prefix: 'ffreis' }, true);
    vi.spyOn(Date, 'now').mockReturnValue(started + 6_000);
    await hook();
    expect(calls()).toHaveLength(2);
  });

  it('does not keep a command that runs no task open while the engine is slow to answer', () => {
    const slow = fakeClient(dir, 'slow-docker', 5);
    const script =
      `require(${JSON.stringify(join(__dirname, '../engines/view.ts'))}).prefetchEngineView({ prefix: 'ffreis' }, true);` +
      `require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'done'))}, '1')`;
    const started = Date.now();
    execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      env: { ...process.env, CONTAINER_CLIENT: slow },
      timeout: 20_000,
    });
    expect(readFileSync(join(dir, 'done'), 'utf8')).toBe('1');
    expect(calls()[0]).toMatch(/slow-docker images/);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('in the Nx daemon, hands over the file the listing is written to without waiting for it', async () => {
    vi.stubEnv('CONTAINER_CLIENT', fakeClient(dir, 'slow-docker', 1));
    const daemon = globalThis as { NX_DAEMON?: unknown };
    daemon.NX_DAEMON = true;
    try {
      const started = Date.now();
      const value = await hook();
      expect(Date.now() - started).toBeLessThan(700);
      const file = join(dir, '.nx/workspace-data/nx-images/views/1');
      // The tasks may wait the listing's own bound (10 s) and a second more, in hundredths.
      expect(value).toBe(`file:1100:${file}`);
      expect(view.readView(value)).toBeUndefined();
      while (!existsSync(file) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
      expect(view.readView(value)).toMatch(/^view2\|settings1\|[^|]*\|[^|]*\|docker\|.*\nffreis\/base aaa latest 111\n/);
      expect(view.readView('a view itself')).toBe('a view itself');
    } finally {
      delete daemon.NX_DAEMON;
    }
  });
});
