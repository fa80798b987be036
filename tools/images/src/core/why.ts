/**
 * What went into one image's hash, per input, recorded beside image.json (`inputs.json`)
 * after each successful run: files by path and content hash, environment variables by
 * name and a hash of their value (never the value), parents by their exact tags, and the
 * exports of parents this image only copies from.
 */
export interface InputsRecord {
  hash: string;
  files: Record<string, string>;
  env: Record<string, string>;
  parents: Record<string, string>;
  exports: Record<string, string>;
}

function changedKeys(
  before: Record<string, string>,
  after: Record<string, string>,
): { changed: string[]; added: string[]; removed: string[] } {
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k]);
  const added = Object.keys(after).filter((k) => !(k in before));
  const removed = Object.keys(before).filter((k) => !(k in after));
  return { changed: changed.sort(), added: added.sort(), removed: removed.sort() };
}

/** A file name as one line can show it: quoted, with escapes, when it holds a newline or another control character. */
function shown(file: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(file) ? JSON.stringify(file) : file;
}

/** How many names of one kind a reason spells out. */
const MAX_NAMED = 8;

/**
 * Pure: why an image was built, from the record of its last successful run and this one's,
 * in a few words: "app/lib.py changed, app/main.py changed", "parent builder changed",
 * "BASE_DIGEST changed", "first build". Parents first, then the environment, then files.
 */
export function explainRebuild(previous: InputsRecord | undefined, current: InputsRecord | undefined): string {
  if (!current) return 'its inputs could not be read (no Nx file map)';
  if (!previous) return 'first build';
  if (previous.hash === current.hash) return 'same inputs as its last build';
  const parts: string[] = [];
  // A parent it only copies from counts through what it copies (exports), not through its tag.
  const copiedFrom = new Set([...Object.keys(previous.exports), ...Object.keys(current.exports)]);
  const parents = changedKeys(
    Object.fromEntries(Object.entries(previous.parents).filter(([name]) => !copiedFrom.has(name))),
    Object.fromEntries(Object.entries(current.parents).filter(([name]) => !copiedFrom.has(name))),
  );
  const exported = changedKeys(previous.exports, current.exports);
  const env = changedKeys(previous.env, current.env);
  const files = changedKeys(previous.files, current.files);
  // Every name, up to a screenful: past it, how many more (inputs.json beside image.json lists them all).
  const list = (names: string[], say: (n: string) => string) => {
    if (names.length === 0) return;
    const shown = [...new Set(names.slice(0, MAX_NAMED).map(say))];
    parts.push(`${shown.join(', ')}${names.length > MAX_NAMED ? `, and ${names.length - MAX_NAMED} more` : ''}`);
  };
  list([...parents.changed, ...parents.added, ...parents.removed], (n) => `parent ${n} changed`);
  list([...exported.changed, ...exported.added, ...exported.removed], (n) => `what it copies from ${n} changed`);
  list([...env.changed, ...env.added, ...env.removed], (n) =>
    n.startsWith('BUILD_NX_IMAGES_SHAPE_') ? 'a mode, folder or git-ignored file it copies changed' : `${n} changed`,
  );
  list(files.changed, (f) => `${shown(f)} changed`);
  list(files.added, (f) => `${shown(f)} added`);
  list(files.removed, (f) => `${shown(f)} removed`);
  return parts.length > 0 ? parts.join('; ') : 'the build recipe or the Nx configuration changed';
}
