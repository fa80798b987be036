/**
 * `npx nx run nx-images:schemas`: writes the shared options' entries (executors/shared-options.ts)
 * into every executor's schema.json, so the engine list, defaults and words have one source.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSharedOptions } from '../executors/shared-options';

const executors = join(__dirname, '..', '..', 'src', 'executors');
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
  const next = JSON.stringify(withSharedOptions(JSON.parse(text)), null, 2) + '\n';
  if (next !== text) {
    writeFileSync(file, next);
    changed += 1;
  }
}
console.log(`executor schemas: ${changed} rewritten`);
