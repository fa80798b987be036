import { parse as parseEnvLine } from 'dotenv';
import { ImageError } from './errors';

/** The keys a digests file holds, each required. */
export const DIGEST_KEYS = ['BASE_IMAGE', 'BASE_DIGEST'] as const;
export type DigestKey = (typeof DIGEST_KEYS)[number];
export type Digests = Record<DigestKey, string>;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const IMAGE_NAME =
  /^[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

function checkValue(key: DigestKey, value: string, where: string): void {
  if (key === 'BASE_DIGEST' && !DIGEST.test(value)) {
    throw new ImageError(
      'DIGESTS_MALFORMED',
      `${where}: BASE_DIGEST "${value}" is not a digest: expected "sha256:" followed by 64 lowercase hex digits.\n` +
        'Copy the digest that `docker buildx imagetools inspect <image>` or your registry shows for BASE_IMAGE.',
    );
  }
  if (key === 'BASE_IMAGE' && (!IMAGE_NAME.test(value) || value.includes('@'))) {
    throw new ImageError(
      'DIGESTS_MALFORMED',
      `${where}: BASE_IMAGE "${value}" is not an image name: expected [registry/]name[:tag] without a digest ` +
        '(the digest goes in BASE_DIGEST).',
    );
  }
}

/**
 * Parses and validates a digests file (`KEY=VALUE` lines, `#` comments, read with
 * dotenv's parser line by line so each error can name its line). Throws an
 * {@link ImageError} `DIGESTS_MALFORMED` naming `file:line` and what was expected.
 */
export function parseDigestsFile(content: string, file: string): Digests {
  const found = new Map<string, { value: string; line: number }>();
  content.split(/\r?\n/).forEach((text, index) => {
    const lineNumber = index + 1;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = `${file}:${lineNumber}`;
    const entries = Object.entries(parseEnvLine(trimmed));
    if (entries.length !== 1) {
      throw new ImageError(
        'DIGESTS_MALFORMED',
        `${where}: "${trimmed}" is not a KEY=VALUE line (expected e.g. BASE_DIGEST=sha256:<64 hex>).`,
      );
    }
    const [key, value] = entries[0];
    if (!(DIGEST_KEYS as readonly string[]).includes(key)) {
      throw new ImageError('DIGESTS_MALFORMED', `${where}: unknown key ${key}; the digests file holds only ${DIGEST_KEYS.join(' and ')}.`);
    }
    const previous = found.get(key);
    if (previous) {
      throw new ImageError('DIGESTS_MALFORMED', `${where}: duplicate key ${key} (first set at line ${previous.line}); keep one.`);
    }
    checkValue(key as DigestKey, value, where);
    found.set(key, { value, line: lineNumber });
  });
  for (const key of DIGEST_KEYS) {
    if (!found.has(key)) {
      throw new ImageError(
        'DIGESTS_MALFORMED',
        `${file}: missing key ${key}; add a line ${key}=${key === 'BASE_DIGEST' ? 'sha256:<64 hex>' : '<image>:<tag>'}.`,
      );
    }
  }
  const pick = (key: DigestKey) => (found.get(key) as { value: string }).value;
  return { BASE_IMAGE: pick('BASE_IMAGE'), BASE_DIGEST: pick('BASE_DIGEST') };
}

/**
 * Applies `BASE_IMAGE` / `BASE_DIGEST` from the environment over the file's values
 * (private mirrors, air-gapped builds). An override is validated like a file value.
 */
export function applyDigestOverrides(parsed: Digests, env: Record<string, string | undefined>): Digests {
  const digests = { ...parsed };
  for (const key of DIGEST_KEYS) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    checkValue(key, value, `environment variable ${key}`);
    digests[key] = value;
  }
  return digests;
}

/** `name:tag@sha256:…`, the pinned upstream reference. */
export function pinnedReference(digests: Digests): string {
  return `${digests.BASE_IMAGE}@${digests.BASE_DIGEST}`;
}

/**
 * The digests file with BASE_DIGEST's value replaced, every other byte (comments,
 * order, quoting style of other lines) kept. The file must have been validated.
 */
export function rewriteDigest(content: string, digest: string): string {
  return content.replace(
    /^(\s*(?:export\s+)?BASE_DIGEST\s*=\s*)(["']?)[^"'\s#]*\2/m,
    (_all, head: string, quote: string) => `${head}${quote}${digest}${quote}`,
  );
}
