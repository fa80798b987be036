import { chmodSync, existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientIdentity, rememberedVersion, rememberVersion } from './client-version';
import { chooseBuilder } from './builds';
import type { EngineAdapter } from './types';

describe('the client version remembered per client binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'client-version-'));

  it('identifies a binary found on PATH or by path, and changes when the binary is replaced', () => {
    const copy = join(dir, 'node-copy');
    writeFileSync(copy, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    chmodSync(copy, 0o755);
    const byPath = clientIdentity(copy, {});
    expect(byPath).toMatch(/^.*node-copy\|7\|/);
    expect(clientIdentity('node-copy', { PATH: `/nonexistent:${dir}` })).toBe(byPath);
    utimesSync(copy, new Date(), new Date(Date.now() + 60_000));
    expect(clientIdentity(copy, {})).not.toBe(byPath);
  });

  it('has none for a script (a wrapper may run another client each time) or a missing client', () => {
    const script = join(dir, 'docker');
    writeFileSync(script, '#!/bin/sh\nexec /usr/bin/docker "$@"\n');
    chmodSync(script, 0o755);
    expect(clientIdentity(script, {})).toBeUndefined();
    expect(clientIdentity('no-such-client', { PATH: dir })).toBeUndefined();
    expect(clientIdentity('relative/docker', {})).toBeUndefined();
  });

  it('gives back a version only for the same binary', () => {
    const cache = join(dir, 'cache');
    expect(rememberedVersion(cache, 'docker', 'a|1|2|3')).toBeUndefined();
    rememberVersion(cache, 'docker', 'a|1|2|3', '20.10.24');
    expect(rememberedVersion(cache, 'docker', 'a|1|2|3')).toBe('20.10.24');
    expect(rememberedVersion(cache, 'docker', 'a|1|9|3')).toBeUndefined();
    expect(rememberedVersion(cache, 'podman', 'a|1|2|3')).toBeUndefined();
  });
});

describe('chooseBuilder with the remembered version', () => {
  /** A docker "client" that is node itself (an ELF binary) and counts its version calls in a file. */
  function countingAdapter(version: string, counter: string): EngineAdapter {
    const script = `require('fs').appendFileSync(${JSON.stringify(counter)}, 'x'); console.log(${JSON.stringify(version)})`;
    return {
      name: 'docker',
      client: process.execPath,
      clientVersion: () => ({ command: process.execPath, args: ['-e', script] }),
      buildxVersion: () => ({ command: process.execPath, args: ['-e', 'process.exit(1)'] }),
    } as unknown as EngineAdapter;
  }
  const calls = (counter: string) => (existsSync(counter) ? readFileSync(counter, 'utf8').length : 0);

  it('asks a docker 20.10 client once, then takes its version from the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'choose-builder-'));
    const adapter = countingAdapter('20.10.24', join(dir, 'count'));
    expect(await chooseBuilder(adapter, join(dir, 'cache'))).toMatchObject({ buildkit: true, version: '20.10.24' });
    expect(await chooseBuilder(adapter, join(dir, 'cache'))).toMatchObject({ buildkit: true, version: '20.10.24' });
    expect(calls(join(dir, 'count'))).toBe(1);
  });

  it('asks every time where buildx decides (docker 23 and later)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'choose-builder-'));
    const adapter = countingAdapter('27.1.0', join(dir, 'count'));
    expect(await chooseBuilder(adapter, join(dir, 'cache'))).toMatchObject({ buildkit: false, version: '27.1.0' });
    expect(await chooseBuilder(adapter, join(dir, 'cache'))).toMatchObject({ buildkit: false });
    expect(calls(join(dir, 'count'))).toBe(2);
  });
});
