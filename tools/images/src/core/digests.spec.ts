import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDigestOverrides, parseDigestsFile, pinnedReference, rewriteDigest } from './digests';
import { isImageError } from './errors';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const GOOD = `# pin\nBASE_IMAGE=ubuntu:resolute-20260106.1\n\nBASE_DIGEST=${DIGEST}\n`;

describe('parseDigestsFile', () => {
  it('reads both keys', () => {
    expect(parseDigestsFile(GOOD, 'images/base/digests.env')).toEqual({ BASE_IMAGE: 'ubuntu:resolute-20260106.1', BASE_DIGEST: DIGEST });
  });

  it('accepts quotes and an export prefix, as env files do', () => {
    const parsed = parseDigestsFile(`export BASE_IMAGE="ubuntu:24.04"\nBASE_DIGEST='${DIGEST}'\n`, 'd.env');
    expect(parsed).toEqual({ BASE_IMAGE: 'ubuntu:24.04', BASE_DIGEST: DIGEST });
  });

  it.each([
    [
      'a line that is not KEY=VALUE',
      `BASE_IMAGE=ubuntu:24.04\njust words\nBASE_DIGEST=${DIGEST}`,
      /d\.env:2: "just words" is not a KEY=VALUE line/,
    ],
    [
      'a malformed digest',
      'BASE_IMAGE=ubuntu:24.04\nBASE_DIGEST=sha256:abc',
      /d\.env:2: BASE_DIGEST "sha256:abc" is not a digest: expected "sha256:" followed by 64 lowercase hex digits/,
    ],
    ['an uppercase digest', `BASE_IMAGE=ubuntu:24.04\nBASE_DIGEST=sha256:${'A'.repeat(64)}`, /d\.env:2: BASE_DIGEST .* is not a digest/],
    [
      'a duplicate key',
      `BASE_IMAGE=ubuntu:24.04\nBASE_IMAGE=ubuntu:25.04\nBASE_DIGEST=${DIGEST}`,
      /d\.env:2: duplicate key BASE_IMAGE \(first set at line 1\)/,
    ],
    [
      'an unknown key',
      `BASE_IMAGE=ubuntu:24.04\nBASE_DIGST=${DIGEST}`,
      /d\.env:2: unknown key BASE_DIGST; the digests file holds only BASE_IMAGE and BASE_DIGEST/,
    ],
    ['a missing key', 'BASE_IMAGE=ubuntu:24.04\n', /d\.env: missing key BASE_DIGEST; add a line BASE_DIGEST=sha256:<64 hex>/],
    [
      'a digest inside BASE_IMAGE',
      `BASE_IMAGE=ubuntu@${DIGEST}\nBASE_DIGEST=${DIGEST}`,
      /d\.env:1: BASE_IMAGE .* is not an image name.*the digest goes in BASE_DIGEST/,
    ],
  ])('rejects %s with file:line and what was expected', (_case, content, message) => {
    try {
      parseDigestsFile(content, 'd.env');
      expect.unreachable();
    } catch (error) {
      expect(isImageError(error, 'DIGESTS_MALFORMED')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('applyDigestOverrides', () => {
  const parsed = parseDigestsFile(GOOD, 'd.env');

  it('lets BASE_IMAGE/BASE_DIGEST from the environment win', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const result = applyDigestOverrides(parsed, { BASE_IMAGE: '127.0.0.1:5000/debian:bookworm', BASE_DIGEST: digest });
    expect(result).toEqual({ BASE_IMAGE: '127.0.0.1:5000/debian:bookworm', BASE_DIGEST: digest });
    expect(pinnedReference(result)).toBe(`127.0.0.1:5000/debian:bookworm@${digest}`);
  });

  it('ignores empty overrides', () => {
    expect(applyDigestOverrides(parsed, { BASE_IMAGE: '' })).toEqual(parsed);
  });

  it('validates an override and names the variable', () => {
    expect(() => applyDigestOverrides(parsed, { BASE_DIGEST: 'latest' })).toThrow(
      /environment variable BASE_DIGEST: BASE_DIGEST "latest" is not a digest/,
    );
  });
});

describe('rewriteDigest', () => {
  const next = `sha256:${'d'.repeat(64)}`;
  it.each([
    [GOOD, GOOD.replace(DIGEST, next)],
    [
      `# keep\nexport BASE_DIGEST="${DIGEST}" # trailing\nBASE_IMAGE=ubuntu:24.04\n`,
      `# keep\nexport BASE_DIGEST="${next}" # trailing\nBASE_IMAGE=ubuntu:24.04\n`,
    ],
  ])('replaces only the digest', (before, after) => {
    expect(rewriteDigest(before, next)).toBe(after);
    expect(parseDigestsFile(rewriteDigest(before, next), 'd.env').BASE_DIGEST).toBe(next);
  });
});

describe('the shipped pin and its Renovate manager', () => {
  const root = join(__dirname, '../../../..');
  const file = readFileSync(join(root, 'images/base/digests.env'), 'utf8');

  it('pins the default upstream by digest', () => {
    expect(parseDigestsFile(file, 'images/base/digests.env')).toEqual({
      BASE_IMAGE: 'ubuntu:resolute-20260106.1',
      BASE_DIGEST: 'sha256:4095ef613201918336b5d7d00be15d8b09c72ddb77c80bca249c255887a64d87',
    });
  });

  it('is read by renovate.json’s regex manager (image, tag, digest)', () => {
    const renovate = JSON.parse(readFileSync(join(root, 'renovate.json'), 'utf8'));
    const manager = renovate.customManagers[0];
    expect(new RegExp(manager.fileMatch[0]).test('images/base/digests.env')).toBe(true);
    const groups = new RegExp(manager.matchStrings[0]).exec(file)?.groups;
    expect(groups).toEqual({
      depName: 'ubuntu',
      currentValue: 'resolute-20260106.1',
      currentDigest: 'sha256:4095ef613201918336b5d7d00be15d8b09c72ddb77c80bca249c255887a64d87',
    });
  });
});
