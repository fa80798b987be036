import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile';
import { dockerfileDescription, finalFrom, OCI, ociLabels, packageLabels } from './oci-labels';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const labelsOf = (name: string, text: string, extra: Partial<Parameters<typeof ociLabels>[0]> = {}) =>
  ociLabels({ name, dockerfile: text, stages: parseDockerfile(text).stages, parents: [], ...extra });

describe('dockerfileDescription', () => {
  it.each([
    ['# base-runner: the Python runtime only.\nFROM x\n', 'base-runner', 'the Python runtime only.'],
    ['# syntax=docker/dockerfile:1\n# A tool image.\nFROM x\n', 'tool', 'A tool image.'],
    ['\n\n# Only this line.\n# Not this one.\nFROM x\n', 'x', 'Only this line.'],
    ['FROM x\n# after the FROM\n', 'x', undefined],
    ['# base:\nFROM x\n', 'base', undefined],
  ])('%j → %j', (text, name, expected) => {
    expect(dockerfileDescription(text, name)).toBe(expected);
  });
});

describe('finalFrom', () => {
  it('follows stage aliases to the image the built stage starts from, and honours --target', () => {
    const { stages } = parseDockerfile('ARG B=ffreis/b\nFROM ${B} AS deps\nRUN x\nFROM deps AS test\nRUN y\nFROM debian:12 AS other\n');
    expect(finalFrom(stages)).toBe('debian:12');
    expect(finalFrom(stages, 'test')).toBe('${B}');
  });
});

describe('ociLabels', () => {
  it('labels an image built from the pin with the pin, from the digests in force', () => {
    const labels = labelsOf('base', '# base: the pinned upstream.\nARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n', {
      digests: { BASE_IMAGE: 'ubuntu:24.04', BASE_DIGEST: DIGEST },
    });
    expect(labels).toEqual({
      [OCI.title]: 'base',
      [OCI.description]: 'the pinned upstream.',
      [OCI.baseName]: 'ubuntu:24.04',
      [OCI.baseDigest]: DIGEST,
    });
  });

  it('names a workspace parent by its exact ref and clears the base digest it would inherit', () => {
    const text =
      '# runner: the app.\nARG BUILDER_IMAGE=ffreis/builder\nARG BASE_RUNNER_IMAGE=ffreis/base-runner\n' +
      'FROM ${BUILDER_IMAGE} AS builder\nFROM ${BASE_RUNNER_IMAGE}\nCOPY --from=builder /app /app\n';
    const labels = labelsOf('runner', text, {
      parents: [
        { arg: 'BUILDER_IMAGE', ref: 'ffreis/builder:1' },
        { arg: 'BASE_RUNNER_IMAGE', ref: 'ffreis/base-runner:2' },
      ],
    });
    expect(labels[OCI.baseName]).toBe('ffreis/base-runner:2');
    expect(labels[OCI.baseDigest]).toBe('');
  });

  it('takes a literal pinned FROM as the base, and sets an empty description rather than inherit one', () => {
    const labels = labelsOf('tool', `FROM python:3.12@${DIGEST}\n`);
    expect(labels[OCI.baseName]).toBe('python:3.12');
    expect(labels[OCI.baseDigest]).toBe(DIGEST);
    expect(labels[OCI.description]).toBe('');
  });

  it('keeps the workspace labels, under the plugin’s own title', () => {
    const labels = labelsOf('x', 'FROM scratch\n', { workspace: { [OCI.source]: 'https://example.invalid/repo', [OCI.title]: 'no' } });
    expect(labels[OCI.source]).toBe('https://example.invalid/repo');
    expect(labels[OCI.title]).toBe('x');
  });
});

describe('packageLabels', () => {
  it.each([
    [
      { repository: 'git+https://example.invalid/team/app.git', license: 'MIT' },
      { [OCI.source]: 'https://example.invalid/team/app', [OCI.licenses]: 'MIT' },
    ],
    [{ repository: { url: 'https://example.invalid/team/app' } }, { [OCI.source]: 'https://example.invalid/team/app' }],
    [{ repository: 'github:team/app', license: 'UNLICENSED' }, { [OCI.source]: 'https://github.com/team/app' }],
    [{}, {}],
    [undefined, {}],
  ])('%j', (manifest, expected) => {
    expect(packageLabels(manifest)).toEqual(expected);
  });
});
