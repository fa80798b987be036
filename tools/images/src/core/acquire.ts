/** What the engine holds under a hash tag, as far as identity goes. */
export interface HeldImage {
  id: string;
  /** The value of the hash label (`org.ffreis.nx-hash`), when the image has one. */
  hashLabel?: string;
}

/** The facts the acquisition decision is made from: pure data, gathered by the executor. */
export interface AcquireFacts {
  /** This run's Nx hash (the tag). */
  hash: string;
  /** Set when the hash cannot cover the build's reads: never reuse, always hand it to the engine. */
  alwaysBuild?: string;
  /** What the engine holds under `<repo>:<hash>`, if anything. */
  held?: HeldImage;
  /** The build record (`image.json`) when it is for this hash. */
  record?: { imageId: string };
  /** Whether a registry is configured to pull from. */
  registry: boolean;
}

/** What to do, and the one line that says why when it is not the plain case. */
export type Decision =
  { action: 'present' } | { action: 'pull'; restoring: boolean; note?: string } | { action: 'build'; restoring: boolean; note?: string };

/**
 * Why an image under the hash tag is not this hash's build, or undefined when it is:
 * its hash label must carry the hash, and its id must be the recorded one where there is a record.
 */
export function identityProblem(ref: string, held: HeldImage, hash: string, record?: { imageId: string }): string | undefined {
  if (held.hashLabel !== hash) {
    const label = held.hashLabel ? `labelled for hash ${held.hashLabel}` : 'with no hash label';
    return `${ref} holds image ${held.id.replace(/^sha256:/, '').slice(0, 12)} ${label}, not this hash's build`;
  }
  if (record && record.imageId !== held.id) {
    return (
      `${ref} holds image ${held.id.replace(/^sha256:/, '').slice(0, 12)}, but the build record names ` +
      `${record.imageId.replace(/^sha256:/, '').slice(0, 12)}`
    );
  }
  return undefined;
}

/**
 * Present, pull or build: an image is reused only when it proves it is this hash's
 * build; one the hash cannot cover is always handed to the engine; a recorded image
 * the engine lacks is restored (pulled when a registry is set, else rebuilt).
 */
export function decideAcquisition(ref: string, facts: AcquireFacts): Decision {
  if (facts.alwaysBuild) return { action: 'build', restoring: false, note: `handed to the engine on every run: ${facts.alwaysBuild}` };
  const restoring = Boolean(facts.record) && !facts.held;
  if (facts.held) {
    const problem = identityProblem(ref, facts.held, facts.hash, facts.record);
    if (!problem) return { action: 'present' };
    const note = `${problem}: not reusing it`;
    return facts.registry ? { action: 'pull', restoring: false, note } : { action: 'build', restoring: false, note };
  }
  return facts.registry ? { action: 'pull', restoring } : { action: 'build', restoring };
}
