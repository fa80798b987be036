import { afterEach, describe, expect, it, vi } from 'vitest';
import { heldAtStart, latestIds, parseLabels, readView, started, viewFileOf, viewFileValue, viewHeader, viewLines } from './view';

describe('the engine view taken before a run', () => {
  const listing = [
    'ffreis/base:111 sha256:aaa',
    'ffreis/base:latest sha256:aaa',
    'ffreis/base:099 sha256:old',
    'ffreis/runner:222 sha256:bbb',
    'other/base:latest sha256:ccc',
    '<none>:<none> sha256:ddd',
    'localhost/ffreis/builder:latest sha256:eee',
    'localhost/ffreis/builder:333 sha256:eee',
    '127.0.0.1:5000/ffreis/base:latest sha256:fff',
  ].join('\n');

  const latestLines = (lines: string[]) => lines.filter((l) => !l.startsWith('+'));

  it('keeps, per repository under the prefix with a :latest, the id, the tags and the hash label of that image', () => {
    const labels = parseLabels('sha256:aaa 111\neee 333\n');
    expect(latestLines(viewLines(listing, 'ffreis', labels))).toEqual([
      'ffreis/base aaa 111,latest 111',
      'ffreis/builder eee latest,333 333',
    ]);
    // A label the inspect did not give is `-`, which bin/build.sh never takes for a hash.
    expect(latestLines(viewLines(listing, 'ffreis'))).toEqual(['ffreis/base aaa 111,latest -', 'ffreis/builder eee latest,333 -']);
  });

  it('asks the labels of the images under :latest only, once each', () => {
    expect(latestIds(listing, 'ffreis')).toEqual(['aaa', 'eee']);
    expect(latestIds(`${listing}\nffreis/runner:latest sha256:aaa`, 'ffreis')).toEqual(['aaa', 'eee']);
  });

  it('then lists every tag of every repository under the prefix, and ends with the mark that it did', () => {
    expect(viewLines(listing, 'ffreis').filter((l) => l.startsWith('+'))).toEqual([
      '+ffreis/base 111,latest,099',
      '+ffreis/runner 222',
      '+ffreis/builder latest,333',
      '+complete',
    ]);
  });

  it('leaves out a repository with no :latest, another prefix and untagged images', () => {
    expect(latestLines(viewLines('ffreis/runner:222 sha256:bbb\nother/x:latest sha256:c\n<none>:<none> sha256:d\n', 'ffreis'))).toEqual([]);
  });

  it('reads a prefix with a registry port', () => {
    expect(latestLines(viewLines(listing, '127.0.0.1:5000/ffreis'))).toEqual(['127.0.0.1:5000/ffreis/base fff latest -']);
  });

  it('leaves every tag out when listing them would make the variable too long for exec', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `ffreis/base:${String(i).padStart(20, '0')} sha256:o${i}`).join('\n');
    const lines = viewLines(`${many}\nffreis/base:latest sha256:aaa`, 'ffreis');
    expect(lines).toEqual(['ffreis/base aaa latest -']);
    expect(heldAtStart(['h', ...lines].join('\n'), 'h', 'ffreis/base', '7')).toBeUndefined();
  });

  describe('whether a tag was held when the run started', () => {
    const view = ['h', ...viewLines(listing, 'ffreis')].join('\n');

    it('is known only for the same engine, client and store, from a view that lists every tag', () => {
      expect(heldAtStart(view, 'h', 'ffreis/base', '099')).toBe(true);
      expect(heldAtStart(view, 'h', 'ffreis/base', '100')).toBe(false);
      expect(heldAtStart(view, 'h', 'ffreis/base-builder', '1')).toBe(false);
      expect(heldAtStart(view, 'other header', 'ffreis/base', '100')).toBeUndefined();
      expect(heldAtStart(view.replace('\n+complete', ''), 'h', 'ffreis/base', '100')).toBeUndefined();
      expect(heldAtStart(undefined, 'h', 'ffreis/base', '100')).toBeUndefined();
      expect(heldAtStart('', 'h', 'ffreis/base', '100')).toBeUndefined();
    });

    it('never matches a repository by its prefix only', () => {
      expect(heldAtStart(view, 'h', 'ffreis/bas', '111')).toBe(false);
    });
  });

  it('carries the settings as given: CONTAINER_ENGINE, CONTAINER_CLIENT, the plugin’s engine and client, each store setting', () => {
    expect(
      viewHeader(
        { engine: 'docker', client: '/opt/docker' },
        {
          CONTAINER_ENGINE: 'podman',
          CONTAINER_CLIENT: '/usr/bin/podman',
          DOCKER_HOST: 'tcp://h:2375',
          CONTAINER_HOST: 'x',
          CONTAINERS_STORAGE_CONF: '/s.conf',
        },
      ),
    ).toBe('view2|settings1|podman|/usr/bin/podman|docker|/opt/docker|tcp://h:2375||x||/s.conf');
    // Unset and empty are the same setting, as in the shell's ${VAR:-}.
    expect(viewHeader({ engine: 'docker' }, { CONTAINER_ENGINE: '' })).toBe(viewHeader({ engine: 'docker', client: '' }, {}));
    // bin/build.sh compares it with the line it writes from its own environment: build-sh.spec runs both over one matrix.
  });
});

describe('the run’s one engine query', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('gives up on a stuck engine within IMAGE_ENGINE_TIMEOUT when that is under 10 s: the run goes on without a view', async () => {
    vi.stubEnv('IMAGE_ENGINE_TIMEOUT', '1');
    const stuck = { command: 'sleep', args: ['30'] };
    const begun = Date.now();
    const view = await started({ header: 'h', prefix: 'ffreis', command: stuck, labels: () => stuck });
    expect(view).toBe('');
    expect(Date.now() - begun).toBeGreaterThanOrEqual(900);
    expect(Date.now() - begun).toBeLessThan(5_000);
    // The tasks that wait for its file (Nx daemon on) wait as long, and one second more.
    expect(viewFileValue('/v/1')).toBe('file:200:/v/1');
  });

  it('names the view file with the tasks’ wait, and reads a value of no other shape as a file', () => {
    expect(viewFileValue('/v/1')).toBe('file:1100:/v/1');
    vi.stubEnv('IMAGE_ENGINE_TIMEOUT', '300');
    expect(viewFileValue('/v/a:b')).toBe('file:1100:/v/a:b');
    expect(viewFileOf('file:1100:/v/a:b')).toBe('/v/a:b');
    expect(viewFileOf('file:/v/1')).toBeUndefined();
    expect(viewFileOf('view2|x')).toBeUndefined();
    expect(readView('file:/nonexistent')).toBeUndefined();
    expect(readView('view2|x')).toBe('view2|x');
  });
});
