import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, engine as docker, ENGINES, engineEnv, engineTools } from './support/engine';
import { createTestWorkspace, type TestWorkspace } from './support/workspace';

const PIN = 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n';

/** Pushes a variant of the pinned upstream (same rootfs, one label) and returns its pinned reference. */
async function pushUpstreamVariant(label: string, tag = `forms-${label}`): Promise<string> {
  const registry = (process.env.BASE_IMAGE as string).split('/')[0];
  const image = `${registry}/debian:${tag}`;
  const built = await docker(['build', '-t', image, '-'], {
    input: `FROM ${process.env.BASE_IMAGE}@${process.env.BASE_DIGEST}\nLABEL org.ffreis.test.variant=${label}\n`,
    env: { DOCKER_BUILDKIT: '0' },
  });
  expect(built.exitCode, built.all).toBe(0);
  const pushed = await docker(['push', image]);
  expect(pushed.exitCode, pushed.all).toBe(0);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.all)?.[1];
  return `${image}@${digest}`;
}

describe.each(ENGINES)('Dockerfile forms the build reads right, or refuses before the engine, on %s', (engineName) => {
  const PREFIX = `itest-forms-${engineName}`;
  const tools = engineTools(engineName);
  const env = engineEnv(engineName);
  let ws: TestWorkspace;
  const names = ['own-upstream', 'floating', 'scratch', 'heredoc', 'link', 'staged', 'own-options', 'slow'];

  beforeAll(async () => {
    await assertEngineReady(engineName);
    ws = createTestWorkspace(PREFIX);
    await tools.removeRepositories(names.map((n) => `${PREFIX}/${n}`));
  });

  afterAll(async () => {
    await tools.removeRepositories(names.map((n) => `${PREFIX}/${n}`));
    ws?.remove();
  });

  it('builds an image with its own upstream default on that upstream, not on the pin; no update-digest for it', async () => {
    const variant = await pushUpstreamVariant('own');
    if (engineName === 'podman') expect((await tools.run(['pull', '-q', variant])).exitCode).toBe(0);
    ws.write('images/own-upstream/Dockerfile', `ARG BASE_IMAGE=${variant}\nFROM \${BASE_IMAGE}\nRUN true\n`);
    const result = await ws.nx(['run', 'own-upstream:build', '--output-style=stream'], env);
    expect(result.exitCode, result.output).toBe(0);
    const label = await tools.run([
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "org.ffreis.test.variant"}}',
      ws.meta('own-upstream')?.ref as string,
    ]);
    expect(label.stdout.trim()).toBe('own');
    const shown = JSON.parse((await ws.nx(['show', 'project', 'own-upstream', '--json'])).output.replace(/^[^{]*/, ''));
    expect(shown.targets['update-digest']).toBeUndefined();
    expect(shown.targets.build.options.digestsFile).toBeUndefined();
  });

  it('hands an image whose upstream is a tag alone to the engine on every run, so a moved tag gives a new image', async () => {
    const tag = `forms-floating-${engineName}`;
    const moveTag = async (label: string) => {
      const ref = await pushUpstreamVariant(label, tag);
      if (engineName === 'podman') expect((await tools.run(['pull', '-q', ref.split('@')[0]])).exitCode).toBe(0);
      return ref.split('@')[0];
    };
    const image = await moveTag('first');
    ws.write('images/floating/Dockerfile', `ARG UPSTREAM=${image}\nFROM \${UPSTREAM}\nRUN true\n`);
    const variantOf = async () =>
      (
        await tools.run([
          'image',
          'inspect',
          '--format',
          '{{index .Config.Labels "org.ffreis.test.variant"}}',
          ws.meta('floating')?.ref as string,
        ])
      ).stdout.trim();
    const first = await ws.nx(['run', 'floating:build', '--output-style=stream'], env);
    expect(first.exitCode, first.output).toBe(0);
    expect(first.output).toContain(
      `floating: handed to ${engineName} on every run: images/floating/Dockerfile:2 FROM ${image} is not pinned by digest`,
    );
    expect(await variantOf()).toBe('first');
    const hash = ws.meta('floating')?.hash;
    await moveTag('second');
    const second = await ws.nx(['run', 'floating:build', '--output-style=stream'], env);
    expect(second.exitCode, second.output).toBe(0);
    // Nothing Nx hashes changed, yet the engine was asked and built on the moved tag.
    expect(ws.meta('floating')?.hash).toBe(hash);
    expect(await variantOf()).toBe('second');
    const lint = await ws.nx(['run', 'floating:lint', '--output-style=stream'], env);
    expect(lint.output).toContain('is not pinned by digest');
  });

  it('takes FROM scratch as no upstream: lint clean of pinned-digest, no update-digest target', async () => {
    ws.write('images/scratch/Dockerfile', 'FROM scratch\nCOPY app/main.py /main.py\n');
    const lint = await ws.nx(['run', 'scratch:lint', '--output-style=stream'], env);
    expect(lint.exitCode, lint.output).toBe(0);
    expect(lint.output).not.toContain('pinned-digest');
    const shown = JSON.parse((await ws.nx(['show', 'project', 'scratch', '--json'])).output.replace(/^[^{]*/, ''));
    expect(shown.targets['update-digest']).toBeUndefined();
    const built = await ws.nx(['run', 'scratch:build', '--output-style=stream'], env);
    expect(built.exitCode, built.output).toBe(0);
  });

  it.each([
    ['a heredoc', 'heredoc', `${PIN}COPY <<EOF /etc/motd\nvalue $((1+1))\nEOF\n`, 4, 'COPY with a heredoc'],
    ['COPY --link', 'link', `${PIN}COPY --link app/main.py /main.py\n`, 4, 'COPY --link'],
  ])('refuses %s before the engine, with file:line and the fix', async (_case, name, text, line, feature) => {
    ws.write(`images/${name}/Dockerfile`, text);
    const result = await ws.nx(['run', `${name}:build`, '--output-style=stream'], env);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain(`images/${name}/Dockerfile:${line} uses ${feature}, which the engine's builder cannot read.`);
    expect(result.output).toMatch(
      engineName === 'docker' ? /uses the BuildKit built into docker 20\.10.*Install buildx/ : /podman 4\.\d+\.\d+ is too old for it/,
    );
    expect(result.output).not.toMatch(/unknown instruction|Unknown instruction/i);
    expect(await tools.tagsOf(`${PREFIX}/${name}`)).toEqual([]);
  });

  it('says which step a long build is on while Nx, writing to a pipe, shows nothing of it yet', async () => {
    ws.write('images/slow/Dockerfile', `${PIN}RUN echo ${Date.now()} && sleep 5\n`);
    const result = await ws.nx(['run', 'slow:build', '--output-style=static'], { ...env, IMAGE_PROGRESS_SECONDS: '1' }, true);
    expect(result.exitCode, result.output).toBe(0);
    const beats = result.output.split('\n').filter((line) => /^slow: building for \d+ s, step 2\/\d: RUN echo \d+ && sleep 5$/.test(line));
    expect(beats.length, result.output).toBeGreaterThanOrEqual(2);
    // Before Nx prints the task's own output, at its end.
    expect(result.output.indexOf(beats[0])).toBeLessThan(result.output.indexOf('> nx run slow:build'));
  });

  it('builds the stage set as `target` in the image’s project.json', async () => {
    ws.write(
      'images/staged/Dockerfile',
      `${PIN.replace(/\n$/, ' AS prod\n')}COPY app/main.py /prod.py\n\nFROM prod AS dev\nCOPY app/lib.py /dev.py\n`,
    );
    ws.write('images/staged/project.json', JSON.stringify({ targets: { build: { options: { target: 'prod' } } } }));
    const result = await ws.nx(['run', 'staged:build', '--output-style=stream'], env);
    expect(result.exitCode, result.output).toBe(0);
    const files = await tools.run(['run', '--rm', '--entrypoint', 'ls', ws.meta('staged')?.ref as string, '/']);
    expect(files.stdout.split('\n')).toContain('prod.py');
    expect(files.stdout.split('\n')).not.toContain('dev.py');
  });

  it('takes the options an image’s project.json sets (labels added, network, secrets), moves the tag, refuses chain options', async () => {
    const name = 'own-options';
    ws.write(`images/${name}/Dockerfile`, `${PIN}RUN --mount=type=secret,id=token test "$(cat /run/secrets/token)" = s3cret\nRUN true\n`);
    ws.write('token.txt', 's3cret');
    const nxJson = ws.read('nx.json');
    ws.write('nx.json', nxJson.replace('"runImage": "runner"', '"runImage": "runner", "labels": { "org.example.owner": "platform" }'));
    const project = (options: Record<string, unknown>) =>
      ws.write(`images/${name}/project.json`, JSON.stringify({ targets: { build: { options } } }));
    project({ labels: { 'org.example.team': 'payments' }, network: 'host', secrets: { token: 'token.txt' } });
    const first = await ws.nx(['run', `${name}:build`, '--output-style=stream'], { ...env, BUILD_NETWORK: undefined });
    expect(first.exitCode, first.output).toBe(0);
    const labels = async () =>
      JSON.parse((await tools.run(['image', 'inspect', '--format', '{{json .Config.Labels}}', `${PREFIX}/${name}:latest`])).stdout);
    const got = await labels();
    // Added to the workspace's labels, not in their place.
    expect(got['org.example.team']).toBe('payments');
    expect(got['org.example.owner']).toBe('platform');
    const firstRef = ws.meta(name)?.ref;

    // A label changed in project.json is a new tag, with the new label.
    project({ labels: { 'org.example.team': 'billing' }, network: 'host', secrets: { token: 'token.txt' } });
    const second = await ws.nx(['run', `${name}:build`, '--output-style=stream'], { ...env, BUILD_NETWORK: undefined });
    expect(second.exitCode, second.output).toBe(0);
    expect(ws.meta(name)?.ref).not.toBe(firstRef);
    expect((await labels())['org.example.team']).toBe('billing');

    // An option of the whole chain is refused, with where to set it; no tag moves.
    project({ prefix: 'elsewhere' });
    const refused = await ws.nx(['run', `${name}:build`, '--output-style=stream'], env);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.output).toMatch(
      new RegExp(`images/${name}/project\\.json.*"prefix" holds for the whole chain[^]*nx-images plugin in nx\\.json[^]*\\[BAD_OPTION\\]`),
    );
    expect((await labels())['org.example.team']).toBe('billing');
    ws.write('nx.json', nxJson);
  });
});
