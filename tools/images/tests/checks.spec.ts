import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, engine, removeRepositories } from './support/engine';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

const PREFIX = 'itest-checks';

describe('checks on the images: lint, declarative tests, size budgets', () => {
  let ws: TestWorkspace;
  const nx = (args: string[]) => ws.nx([...args, '--output-style=stream']);

  /** Edits a file for one test and puts it back afterwards. */
  async function withEdit(file: string, edit: (text: string) => string, body: () => Promise<void>) {
    const saved = ws.read(file);
    ws.write(file, edit(saved));
    try {
      await body();
    } finally {
      ws.write(file, saved);
    }
  }

  beforeAll(async () => {
    await assertEngineReady();
    ws = createTestWorkspace(PREFIX);
    await removeRepositories(CHAIN.map((name) => `${PREFIX}/${name}`));
  });

  afterAll(async () => {
    await removeRepositories(CHAIN.map((name) => `${PREFIX}/${name}`));
    ws?.remove();
  });

  it('lints all five clean and passes every spec', async () => {
    const result = await nx(['run-many', '-t', 'lint', 'test', `--projects=${CHAIN.join(',')}`]);
    expect(result.exitCode, result.output).toBe(0);
    for (const name of CHAIN) {
      expect(result.output).toContain(`${name}: images/${name}/Dockerfile: 0 error(s), 0 warning(s)`);
      expect(result.output).toMatch(new RegExp(`${name}: \\d+ passed, 0 failed`));
    }
  });

  it('runs no container when nothing changed: the hash keys the result', async () => {
    const stamp = () => (Date.now() / 1000).toFixed(3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const since = stamp();
    const result = await nx(['run-many', '-t', 'test', `--projects=${CHAIN.join(',')}`]);
    const until = stamp();
    expect(result.exitCode, result.output).toBe(0);
    // The five builds always ask the engine (never replayed); the five tests come from the cache.
    expect(result.output).toMatch(/Nx read the output from the cache instead of running the command for 5 out of 10 tasks/);
    for (const name of CHAIN) expect(result.output).toContain(`nx run ${name}:test  [existing outputs match the cache, left as is]`);
    const events = await engine([
      'events',
      '--since',
      since,
      '--until',
      until,
      '--filter',
      'type=container',
      '--filter',
      'event=create',
      '--format',
      '{{.Actor.Attributes.image}}',
    ]);
    expect(events.exitCode, events.all).toBe(0);
    expect(events.stdout.trim()).toBe('');
  });

  it('fails lint for a runner that ends as root, naming file:line and rule', async () => {
    await withEdit(
      'images/runner/Dockerfile',
      (text) => `${text}USER root\n`,
      async () => {
        const result = await nx(['run', 'runner:lint']);
        expect(result.exitCode).not.toBe(0);
        const line = ws.read('images/runner/Dockerfile').trimEnd().split('\n').length;
        expect(result.output).toContain(
          `images/runner/Dockerfile:${line}: runner-user: the final USER is root: the runner must not run as root`,
        );
      },
    );
  });

  it('fails lint for an unpinned external FROM and for :latest', async () => {
    ws.write('images/extra/Dockerfile', `FROM ${process.env.BASE_IMAGE}\nCOPY --from=busybox:latest /bin/true /true\n`);
    try {
      const result = await nx(['run', 'extra:lint']);
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toContain(`images/extra/Dockerfile:1: pinned-digest: FROM ${process.env.BASE_IMAGE} is not pinned by digest`);
      expect(result.output).toContain('images/extra/Dockerfile:2: no-latest: COPY --from busybox:latest uses :latest');
    } finally {
      ws.removePath('images/extra');
    }
  });

  it.each([
    [
      'a file the image lacks',
      (spec: Record<string, unknown[]>) => ({ ...spec, files: [...spec.files, { path: '/app/missing.txt' }] }),
      '✗ file /app/missing.txt: exists: expected "present", actual "absent"',
    ],
    [
      'a size over budget',
      (spec: Record<string, unknown>) => ({ ...spec, maxSizeMB: 1 }),
      /✗ size budget: expected "≤ 1 MB", actual "\d+\.\d MB"/,
    ],
    [
      'a command whose output differs',
      (spec: Record<string, { name: string; stdout?: string }[]>) => ({
        ...spec,
        commands: spec.commands.map((c) => (c.name === 'runs as uid 10001' ? { ...c, stdout: '0' } : c)),
      }),
      '✗ command "runs as uid 10001": stdout: expected "0", actual "10001"',
    ],
  ])('fails the runner’s test for %s, showing the check, expected and actual', async (_case, edit, message) => {
    await withEdit(
      'images/runner/image-test.json',
      (text) => JSON.stringify((edit as (s: never) => unknown)(JSON.parse(text) as never), null, 2),
      async () => {
        const result = await nx(['run', 'runner:test']);
        expect(result.exitCode).not.toBe(0);
        if (typeof message === 'string') expect(result.output).toContain(message);
        else expect(result.output).toMatch(message);
        expect(result.output).toMatch(/runner: \d+ passed, 1 failed/);
      },
    );
  });

  it('names the spec file and the JSON path of a malformed spec', async () => {
    await withEdit(
      'images/runner/image-test.json',
      (text) => JSON.stringify({ ...JSON.parse(text), maxSizeMB: 'big' }),
      async () => {
        const result = await nx(['run', 'runner:test']);
        expect(result.exitCode).not.toBe(0);
        expect(result.output).toContain('images/runner/image-test.json: not a valid image test spec: /maxSizeMB must be number');
      },
    );
  });
});
