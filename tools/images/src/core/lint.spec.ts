import { describe, expect, it } from 'vitest';
import { formatFindings, lintDockerfile, type LintContext } from './lint';

const PIN = { BASE_IMAGE: 'ubuntu:resolute-20260106.1', BASE_DIGEST: `sha256:${'a'.repeat(64)}` };
const ctx = (over: Partial<LintContext> = {}): LintContext => ({
  file: 'images/x/Dockerfile',
  prefix: 'ffreis',
  isRunImage: false,
  ...over,
});
const rules = (content: string, over?: Partial<LintContext>) => lintDockerfile(content, ctx(over)).map((f) => `${f.line}:${f.rule}`);

describe('lintDockerfile', () => {
  it.each([
    ['a digests-file pin', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n', { digests: PIN }, []],
    ['a direct pin', `FROM debian:12@sha256:${'b'.repeat(64)}\n`, {}, []],
    ['a workspace parent', 'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\n', {}, []],
    ['an unpinned external FROM', 'FROM debian:12\n', {}, ['1:pinned-digest']],
    ['an external :latest', 'FROM debian:latest\n', {}, ['1:pinned-digest', '1:no-latest']],
    [
      'an untagged COPY --from',
      `FROM debian:12@sha256:${'b'.repeat(64)}\nCOPY --from=busybox /bin/sh /sh\n`,
      {},
      ['2:pinned-digest', '2:no-latest'],
    ],
    ['digests ARGs without the file', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n', {}, ['3:pinned-digest']],
    [
      'apt without removing its lists',
      `FROM debian:12@sha256:${'b'.repeat(64)}\nRUN apt-get update && apt-get install -y curl\n`,
      {},
      ['2:apt-lists'],
    ],
    [
      'apt removing its lists in the layer',
      `FROM debian:12@sha256:${'b'.repeat(64)}\nRUN apt-get update \\\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n`,
      {},
      [],
    ],
  ])('%s', (_case, content, over, expected) => {
    expect(rules(content, over)).toEqual(expected);
  });

  it.each([
    ['ends as root', 'ARG B=ffreis/base\nFROM ${B}\nUSER 10001\nUSER root\n', ['4:runner-user']],
    ['ends as uid 0', 'ARG B=ffreis/base\nFROM ${B}\nUSER 0:0\n', ['3:runner-user']],
    [
      'sets no USER in the final stage',
      'ARG B=ffreis/base\nFROM ${B} AS build\nUSER 10001\nFROM ${B}\nCOPY --from=build /a /a\n',
      ['4:runner-user'],
    ],
    ['ends as 10001', 'ARG B=ffreis/base\nFROM ${B}\nUSER 10001:10001\n', []],
  ])('a runner that %s', (_case, content, expected) => {
    expect(rules(content, { isRunImage: true })).toEqual(expected);
  });

  it('passes on diagnostics from dockerfile-utils', () => {
    const findings = lintDockerfile(`FROM debian:12@sha256:${'b'.repeat(64)}\nWORKDIR relative\n`, ctx());
    expect(findings.some((f) => f.rule.startsWith('dockerfile-utils/'))).toBe(true);
  });

  it('prints file:line: rule: message', () => {
    const text = formatFindings(lintDockerfile('ARG B=ffreis/base\nFROM ${B}\nUSER root\n', ctx({ isRunImage: true })));
    expect(text).toBe(
      'images/x/Dockerfile:3: runner-user: the final USER is root: the runner must not run as root; end with USER 10001:10001.',
    );
  });

  it.each([
    ['an unpinned # syntax= frontend', '# syntax=docker/dockerfile:1.7\nFROM scratch\n', ['1:pinned-digest']],
    ['a pinned # syntax= frontend', `# syntax=docker/dockerfile:1.7@sha256:${'c'.repeat(64)}\nFROM scratch\n`, []],
    ['FROM scratch (no upstream to pin)', 'FROM scratch\nCOPY a /a\n', []],
  ])('checks %s', (_case, content, expected) => {
    expect(rules(content)).toEqual(expected);
  });
});
