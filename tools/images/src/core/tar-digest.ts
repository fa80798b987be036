import { createHash } from 'node:crypto';

const BLOCK = 512;
/** pax records that carry times: left out, as the engines' COPY --from cache leaves times out. */
const TIME_KEYS = /^(mtime|atime|ctime|LIBARCHIVE\.creationtime)$/;

function octal(bytes: Uint8Array): number {
  const text = Buffer.from(bytes).toString('ascii').replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function paxWithoutTimes(data: Uint8Array): Buffer {
  const text = Buffer.from(data).toString('utf8');
  const kept: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const space = rest.indexOf(' ');
    const length = Number.parseInt(rest.slice(0, space), 10);
    if (!(length > 0)) break;
    const record = Buffer.from(rest).subarray(0, length).toString('utf8');
    rest = Buffer.from(rest).subarray(length).toString('utf8');
    const key = record.slice(record.indexOf(' ') + 1, record.indexOf('='));
    if (!TIME_KEYS.test(key)) kept.push(record);
  }
  return Buffer.from(kept.join(''));
}

/**
 * A digest of what a tar stream (as `docker cp`/`podman cp` give) holds, with times left
 * out: names, types, modes, owners, link targets and contents. Both engines reuse a
 * `COPY --from` layer when only times differ (checked against docker 20.10 and podman 4.3),
 * so this digest changes exactly when such a COPY can yield something else.
 */
export function contentDigest(tar: Uint8Array): string {
  const hash = createHash('sha256');
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 48);
    const dataStart = offset + BLOCK;
    const data = tar.subarray(dataStart, dataStart + size);
    // The header without its mtime (136-148) and checksum (148-156) fields. A pax entry's
    // size (124-136) counts the time records its data leaves out, so it is left out too.
    const pax = type === 'x' || type === 'g';
    hash.update(header.subarray(0, pax ? 124 : 136));
    hash.update(header.subarray(156, BLOCK));
    hash.update(pax ? paxWithoutTimes(data) : data);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The contents of the first regular file in a tar stream (what `cp <container>:<file> -` gives), if any. */
export function firstFileOf(tar: Uint8Array): Buffer | undefined {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return undefined;
    const size = octal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 48);
    const dataStart = offset + BLOCK;
    if (type === '0' || type === '7') return Buffer.from(tar.subarray(dataStart, dataStart + size));
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
