import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError } from '../../core/errors';
import { evaluateSpec, formatResults, parseImageSpec, type ImageObservations, type ImageSpec } from '../../core/image-spec';
import { engineAdapterFor } from '../../engines';
import type { EngineAdapter } from '../../engines/types';
import { runEngine } from '../../engines/run-engine';
import { metadataPath, readMetadata } from '../../records/metadata';
import { reportFailure } from '../report';

export interface TestTargetOptions extends ImageTargetOptions {
  /** Workspace-relative spec file. */
  spec: string;
}

const FILE_PROBE = 'for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then stat -c "%u:%g %a" "$p"; else echo missing; fi; done';

async function observe(adapter: EngineAdapter, ref: string, spec: ImageSpec): Promise<ImageObservations> {
  const inspected = await runEngine(adapter, adapter.inspectConfig(ref));
  const [config, size] = inspected.stdout.trim().split('|');
  const commands = [];
  for (const command of spec.commands ?? []) {
    const check = adapter.runCheck(ref, { entrypoint: command.entrypoint, args: command.args ?? [] });
    const { exitCode, stdout, stderr } = await runEngine(adapter, check, { allowFailure: true });
    commands.push({ exitCode, stdout, stderr });
  }
  let files: ImageObservations['files'] = [];
  const paths = (spec.files ?? []).map((f) => f.path);
  if (paths.length > 0) {
    const probe = await runEngine(
      adapter,
      adapter.runCheck(ref, { user: '0', entrypoint: 'sh', args: ['-c', FILE_PROBE, 'probe', ...paths] }),
    );
    files = probe.stdout.split('\n').map((line) => {
      if (line.trim() === 'missing') return undefined;
      const [owner, mode] = line.trim().split(' ');
      return { owner, mode };
    });
  }
  return { config: JSON.parse(config), sizeBytes: Number(size), commands, files };
}

/**
 * Runs an image's declarative checks (images/<name>/image-test.json) against the
 * image the last build recorded. Cacheable: an unchanged image is not tested again.
 */
export default async function testExecutor(options: TestTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(context.root, options.spec), 'utf8'));
    } catch (error) {
      throw new ImageError('BAD_OPTION', `${options.spec}: cannot read the image test spec: ${(error as Error).message}`);
    }
    const spec = parseImageSpec(raw, options.spec);
    const meta = readMetadata(metadataPath(context.root, options.outputDir, options.name));
    if (!meta)
      throw new ImageError(
        'NOT_BUILT',
        `No build record for "${options.name}": test depends on build; run npx nx run ${options.name}:test`,
      );
    const results = evaluateSpec(spec, await observe(engineAdapterFor(options, process.env), meta.ref, spec));
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${options.name}: ${meta.ref} against ${options.spec}\n${formatResults(results)}`);
    console.log(`${options.name}: ${results.length - failed} passed, ${failed} failed`);
    return { success: failed === 0 };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
