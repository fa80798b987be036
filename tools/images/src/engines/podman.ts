import type * as DockerfileAst from 'dockerfile-ast';
import { sharedCommands } from './commands';
import { commonBuildArgs } from './docker';
import type { BuildSpec, EngineAdapter } from './types';

/** Podman's CLI (Buildah under the hood; layers cached with --layers). */
export function podmanAdapter(client = 'podman'): EngineAdapter {
  return {
    name: 'podman',
    client,
    ...sharedCommands(client),
    // Podman 4 prints one flat version (no Client/Server split without a remote service).
    clientVersion: () => ({ command: client, args: ['version', '--format', '{{.Version}}'] }),
    serverVersion: () => ({ command: client, args: ['info', '--format', '{{.Version.Version}}'] }),
    // Docker's image format, so SHELL, HEALTHCHECK and ONBUILD mean what they mean on docker.
    build: (spec) => {
      const labelled = spec.dockerfileText === undefined ? undefined : withLabelStep(spec.dockerfileText, spec.labels, spec.target);
      return {
        command: client,
        args: [
          'build',
          '--layers',
          '--format',
          'docker',
          ...commonBuildArgs(labelled === undefined ? spec : { ...spec, dockerfile: '-', labels: {} }),
          ...(spec.cache?.from ?? []).flatMap((repo) => ['--cache-from', repo]),
          ...(spec.cache?.to ? ['--cache-to', spec.cache.to] : []),
          spec.context,
        ],
        ...(labelled === undefined ? {} : { input: labelled }),
      };
    },
    layerCache: (repository, name) => ({ from: [`${repository}/cache/${name}`], to: `${repository}/cache/${name}` }),
  };
}

/**
 * The Dockerfile with every label in one LABEL instruction at the end of the stage built
 * (`--target`, else the last). Buildah turns each `--label` into a LABEL step of its own,
 * and with --layers each step is a commit: six labels cost about 0.3 s a build here, one
 * LABEL line about 0.03 s. Each key and value is quoted as the Dockerfile frontend reads a
 * double-quoted word: `\`, `"` and `$` escaped, nothing expanded. Undefined, so the labels
 * stay flags, when that cannot be written exactly: a key with `=`, a space or a quote, a
 * value with a line break, another escape character (`# escape=\``, which Buildah's LABEL
 * ignores), a stage not found, or a Dockerfile that ends inside a line continuation.
 */
export function withLabelStep(text: string, labels: BuildSpec['labels'], target?: string): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length === 0) return undefined;
  if (entries.some(([key, value]) => key === '' || /[=\s"]/.test(key) || /[\r\n\0]/.test(key + value))) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DockerfileParser } = require('dockerfile-ast') as typeof DockerfileAst;
  const dockerfile = DockerfileParser.parse(text);
  // Buildah reads a quoted LABEL word with \ as its escape whatever the escape directive says.
  const escape = dockerfile.getEscapeCharacter();
  if (escape !== '\\') return undefined;
  const froms = dockerfile.getFROMs();
  const index =
    target === undefined ? froms.length - 1 : froms.findIndex((from) => from.getBuildStage()?.toLowerCase() === target.toLowerCase());
  if (index < 0) return undefined;
  const quote = (word: string) => `"${word.replace(/[\\"$]/g, (ch) => `\\${ch}`)}"`;
  const line = `LABEL ${entries.map(([key, value]) => `${quote(key)}=${quote(value)}`).join(' ')}`;
  const lines = text.split('\n');
  const next = froms[index + 1];
  if (next) {
    const at = next.getRange().start.line;
    return [...lines.slice(0, at), line, ...lines.slice(at)].join('\n');
  }
  const body = text.replace(/\s+$/, '');
  if (body.endsWith(escape)) return undefined;
  return `${body}\n${line}\n`;
}
