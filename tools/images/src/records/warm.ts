import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-file';
import { readRecord, WARM_RECORD } from './schemas';

/** What a child's next build is expected to be: its last build, minus tags and labels. */
export interface WarmSpec {
  engine: string;
  client: string;
  dockerfile: string;
  context: string;
  target?: string;
  network?: string;
  buildArgs: Record<string, string>;
  /** Each parent's build arg and the ref the last build used. */
  parents: { name: string; arg: string; ref: string }[];
  /** Every Dockerfile the build reads (its own, its ancestors'), checked for secret and ssh mounts before warming. */
  dockerfiles: string[];
}

const WARM_FILE = 'warm.json';

/** `warm.json`: how the image was last built, for its parents' next builds to warm its layers (executors/build/warm.ts). */
export function writeWarmRecord(dir: string, warm: WarmSpec): void {
  writeFileAtomic(join(dir, WARM_FILE), `${JSON.stringify(warm, null, 2)}\n`);
}

export function readWarmRecord(dir: string): WarmSpec | undefined {
  return readRecord<WarmSpec>(join(dir, WARM_FILE), WARM_RECORD);
}

export function removeWarmRecord(dir: string): void {
  rmSync(join(dir, WARM_FILE), { force: true });
}
