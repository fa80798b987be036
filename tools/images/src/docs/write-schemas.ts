/**
 * `npx nx run nx-images:schemas`: writes the shared options' entries (executors/shared-options.ts)
 * into every executor's schema.json, so the engine list, defaults and words have one source.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { withSharedOptions } from '../executors/shared-options';

const executors = join(__dirname, '..', '..', 'src', 'executors');
async function main(): Promise<number> {
  let changed = 0;
  for (const entry of readdirSync(executors, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(executors, entry.name, 'schema.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const schema = JSON.parse(text);
    const next = withSharedOptions(schema);
    if (isDeepStrictEqual(next, schema)) continue;
    // Laid out as the repository's Prettier lays out JSON, so lint stays green.
    writeFileSync(file, await format(JSON.stringify(next, null, 2), { ...(await resolveConfig(file)), filepath: file }));
    changed += 1;
  }
  return changed;
}

main().then(
  (changed) => console.log(`executor schemas: ${changed} rewritten`),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
