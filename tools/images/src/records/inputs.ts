import { join } from 'node:path';
import type { InputsRecord } from '../core/why';
import { writeFileAtomic } from '../io/atomic-file';
import { INPUTS_RECORD, readRecord } from './schemas';

/**
 * The last run's inputs record (`inputs.json` beside image.json: what went into its hash, which
 * io/inputs-record.ts computes), or undefined when there is none, or it cannot be read or has
 * the wrong shape (rewritten next time).
 */
export function readInputsRecord(dir: string): InputsRecord | undefined {
  return readRecord<InputsRecord>(join(dir, 'inputs.json'), INPUTS_RECORD);
}

/** Writes the inputs record atomically. */
export function writeInputsRecord(dir: string, record: InputsRecord): void {
  writeFileAtomic(join(dir, 'inputs.json'), `${JSON.stringify(record, null, 2)}\n`);
}
