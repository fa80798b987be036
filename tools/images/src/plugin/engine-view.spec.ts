import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { viewHeader, viewLines } from './engine-view';

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

  it('keeps, per repository under the prefix with a :latest, the id and the tags of that image', () => {
    expect(viewLines(listing, 'ffreis')).toEqual(['ffreis/base aaa 111,latest', 'ffreis/builder eee latest,333']);
  });

  it('leaves out a repository with no :latest, another prefix and untagged images', () => {
    expect(viewLines('ffreis/runner:222 sha256:bbb\nother/x:latest sha256:c\n<none>:<none> sha256:d\n', 'ffreis')).toEqual([]);
  });

  it('reads a prefix with a registry port', () => {
    expect(viewLines(listing, '127.0.0.1:5000/ffreis')).toEqual(['127.0.0.1:5000/ffreis/base fff latest']);
  });

  it('names the engine, the client and every setting that picks the store', () => {
    expect(
      viewHeader('docker', '/usr/bin/docker', { DOCKER_HOST: 'tcp://h:2375', CONTAINER_HOST: 'x', CONTAINERS_STORAGE_CONF: '/s.conf' }),
    ).toBe('view1|docker|/usr/bin/docker|tcp://h:2375||x||/s.conf');
  });

  it('is the header bin/build.sh compares with, field for field', () => {
    const script = readFileSync(join(__dirname, '../../bin/build.sh'), 'utf8');
    const store = /store="([^"]+)"/.exec(script)?.[1];
    expect(/header="([^"]+)"/.exec(script)?.[1]).toBe('view1|$engine|$client|$store');
    expect(store).toBe('${DOCKER_HOST:-}|${DOCKER_CONTEXT:-}|${CONTAINER_HOST:-}|${CONTAINER_CONNECTION:-}|${CONTAINERS_STORAGE_CONF:-}');
    expect(
      viewHeader('E', 'C', {
        DOCKER_HOST: '1',
        DOCKER_CONTEXT: '2',
        CONTAINER_HOST: '3',
        CONTAINER_CONNECTION: '4',
        CONTAINERS_STORAGE_CONF: '5',
      }),
    ).toBe('view1|E|C|1|2|3|4|5');
  });
});
