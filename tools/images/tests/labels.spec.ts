import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineAdapter } from '../src/engines';
import { runEngine } from '../src/engines/run-engine';
import type { BuildSpec } from '../src/engines/types';
import { assertEngineReady, clientOf, ENGINES, engineTools } from './support/engine';

/** Labels a Dockerfile line could mangle: quotes, $ forms, both escape characters, =, non-ASCII, empty. */
const LABELS = {
  'org.opencontainers.image.description': 'a "quoted" $HOME ${X:-y} \\ `tick` = é ü',
  'org.ffreis.nx-hash': '123',
  'org.ffreis.test/empty': '',
  'org.ffreis.test.ends': 'back\\',
};

describe.each(ENGINES)('the labels a build gives an image, exactly as asked, on %s', (engineName) => {
  const adapter = engineAdapter(engineName, clientOf(engineName));
  const tools = engineTools(engineName);
  const repository = `itest-labels-${engineName}/app`;
  const context = mkdtempSync(join(tmpdir(), 'labels-'));
  const from = `${process.env.BASE_IMAGE}@${process.env.BASE_DIGEST}`;

  afterAll(async () => {
    await tools.removeRepositories([repository]);
    rmSync(context, { recursive: true, force: true });
  });

  it.each([
    ['the last stage', '', undefined],
    ['a target stage before the last', '', 'first'],
    ['a Dockerfile with the escape character ` (podman: as flags)', '# escape=`\n', undefined],
  ])('%s', async (_case, directive, target) => {
    await assertEngineReady(engineName);
    const text = `${directive}FROM ${from} AS first\nRUN echo one > /one\n\nFROM first\nRUN echo two > /two\n`;
    writeFileSync(join(context, 'Dockerfile'), text);
    const tag = `${repository}:${target ?? 'last'}${directive ? '-tick' : ''}`;
    const spec: BuildSpec = {
      dockerfile: join(context, 'Dockerfile'),
      dockerfileText: text,
      context,
      tags: [tag],
      target,
      buildArgs: {},
      labels: LABELS,
      network: 'host',
      buildkit: true,
    };
    const built = await runEngine(adapter, adapter.build(spec), { allowFailure: true });
    expect(built.exitCode, built.stderr).toBe(0);
    const inspected = await tools.run(['image', 'inspect', '--format', '{{json .Config.Labels}}', tag]);
    expect(JSON.parse(inspected.stdout)).toMatchObject(LABELS);
    // The stage built is the one asked for.
    const two = await tools.run(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', tag, '-c', 'cat /two 2>/dev/null || echo none']);
    expect(two.stdout.trim()).toBe(target ? 'none' : 'two');
    if (engineName === 'podman') {
      // One LABEL step for all four labels (each step is a commit with --layers); one a label with flags.
      const steps = `${built.stdout}\n${built.stderr}`.split('\n').filter((l) => /^(\[\d+\/\d+\] )?STEP \d+\/\d+: LABEL /.test(l));
      expect(steps, `${built.stdout}\n${built.stderr}`).toHaveLength(directive ? Object.keys(LABELS).length : 1);
    }
  });
});
