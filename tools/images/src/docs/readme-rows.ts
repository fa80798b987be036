/**
 * The commands the README shows, in the order it shows them: the `sh` blocks first, then the
 * code spans, each with any leading `VAR=value`. readme-rows.spec checks each names something that
 * exists; tests/readme.spec runs each, as a newcomer would.
 */
export function readmeCommands(readme: string): string[] {
  const found = new Set<string>();
  const line = /(?:^|[\s`(])((?:[A-Z][A-Z0-9_]*=\S* )*(?:npx nx|npm run|npm test|npm ci|bash) [^`#\n|)"&]*|npm test|npm ci)/g;
  const blocks = [...readme.matchAll(/```sh\n([^]*?)```/g)].map((m) => m[1]);
  const spans = [...readme.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  for (const text of [...blocks, ...spans]) for (const [, command] of text.matchAll(line)) found.add(command.trim());
  return [...found];
}
