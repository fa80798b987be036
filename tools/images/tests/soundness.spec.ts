import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_FILES, CORPUS_IGNORE, type CorpusImage } from './support/corpus';
import { assertEngineReady, clientOf, ENGINES, engineEnv, engineTools } from './support/engine';
import { createTestWorkspace, REPO_ROOT, type TestWorkspace } from './support/workspace';

/** The case folders of those forms, and the files no image reads: the files changed on podman. */
const PODMAN_FILES =
  /^(cases\/(uv|onbuild|stage-arg|global-arg|wildcard|dotfiles|keep|containerfile|chain|bind-all|unused|docs)\/|NOTES\.md$|\.dockerignore$)/;
/** The forms podman 4.3 is checked on (the rest run on docker only, to keep CI short). */
const PODMAN_CASES = [
  'copy-child',
  'uv',
  'onbuild-parent',
  'onbuild-child',
  'stage-arg',
  'global-arg',
  'wildcard',
  'dotfiles',
  'keep',
  'containerfile',
  'chain-parent',
  'chain-child',
  'bind-all',
  'add-url',
];

interface Outcome {
  file: string;
  image: string;
  hashChanged: boolean;
  engineChanged: boolean;
}

/** Writes a tar archive of one file (for ADD's auto-extraction) with the given content. */
function writeTar(ws: TestWorkspace, content: string): void {
  ws.write('cases/tar/src/data.txt', content);
  execFileSync('tar', [
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '-cf',
    join(ws.dir, 'cases/tar/bundle.tar'),
    '-C',
    join(ws.dir, 'cases/tar/src'),
    '.',
  ]);
  ws.removePath('cases/tar/src');
}

/**
 * Builds through Nx (the real build decides: present, or handed to the engine), then reads
 * the hash each image's build ran under from its record.
 */
async function builtHashes(ws: TestWorkspace, env: Record<string, string>, names: string[]): Promise<Record<string, string>> {
  // Eight builds at a time: most of a small image's build is a fixed wait on the engine.
  const result = await ws.nx(['run-many', '-t', 'build', '--parallel=8', '--output-style=stream'], env);
  if (result.exitCode !== 0) throw new Error(`nx run-many -t build failed:\n${result.output}`);
  return Object.fromEntries(names.map((name) => [name, ws.meta(name)?.hash as string]));
}

/** The images Nx would hand to the engine on every run, from Nx's own project graph and hasher (no build runs). */
async function nxHashes(
  ws: TestWorkspace,
  env: Record<string, string>,
): Promise<{ hashes: Record<string, string>; alwaysBuilt: string[] }> {
  const result = await execa(process.execPath, [join(REPO_ROOT, 'tools/images/tests/support/task-hashes.cjs'), 'build'], {
    cwd: ws.dir,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false', ...env },
    reject: false,
  });
  if (result.exitCode !== 0) throw new Error(`task-hashes failed:\n${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as Record<string, { hash: string; alwaysBuild?: string }>;
  return {
    hashes: Object.fromEntries(Object.entries(parsed).map(([name, { hash }]) => [name, hash])),
    alwaysBuilt: Object.entries(parsed)
      .filter(([, p]) => p.alwaysBuild)
      .map(([name]) => name),
  };
}

describe.each(ENGINES)('soundness against the engine: every change the engine sees changes the Nx hash (%s)', (engineName) => {
  const PREFIX = `itest-sound-${engineName}`;
  const GT = `gt-sound-${engineName}`;
  const tools = engineTools(engineName);
  const corpus = CORPUS.filter((image) => engineName === 'docker' || PODMAN_CASES.includes(image.name));
  const env = engineEnv(engineName);
  let ws: TestWorkspace;
  let server: Server;
  let payload = 'remote payload 1\n';
  let mutation = 0;
  /** Every ground-truth image: each mutation moves its tag to a new one (podman's, built without cache, are whole copies). */
  const groundTruthIds = new Set<string>();

  /**
   * Plain engine builds of the corpus (parents first, up to eight at a time), without our
   * labels: the ground truth. Eight, because a docker build's cost here is mostly a fixed
   * wait (BuildKit's session set-up, about a second on some machines), not CPU.
   */
  async function groundTruth(): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    let pending = [...corpus];
    while (pending.length > 0) {
      const ready = pending.filter((image) => Object.values(image.parents ?? {}).every((p) => ids[p]));
      pending = pending.filter((image) => !ready.includes(image));
      for (let i = 0; i < ready.length; i += 8) {
        const wave = ready.slice(i, i + 8);
        const built = await Promise.all(wave.map(buildGroundTruth));
        wave.forEach((image, j) => (ids[image.name] = built[j]));
      }
    }
    return ids;
  }

  async function buildGroundTruth(image: CorpusImage): Promise<string> {
    const args = ['build', '-q', '-f', join(ws.dir, image.dockerfile), '-t', `${GT}/${image.name}:latest`, '--network', 'host'];
    // Podman's ground truth is a build from scratch with a fixed timestamp (image and file
    // times): the same input then gives the same layers and config (see below). With its layer
    // cache, a step could reuse the layer our build of the same step wrote meanwhile (the two
    // run side by side, and podman's cache is keyed on the step, not on the times inside it),
    // and the ground truth then changed with no change of input.
    if (engineName === 'podman') args.splice(1, 0, '--no-cache', '--format', 'docker', '--timestamp', '0');
    if (image.pinned)
      args.push('--build-arg', `BASE_IMAGE=${process.env.BASE_IMAGE}`, '--build-arg', `BASE_DIGEST=${process.env.BASE_DIGEST}`);
    for (const [arg, parent] of Object.entries(image.parents ?? {})) args.push('--build-arg', `${arg}=${GT}/${parent}:latest`);
    if (image.target) args.push('--target', image.target);
    args.push(ws.dir);
    const result = await execa(clientOf(engineName), args, { env: { DOCKER_BUILDKIT: '1' }, reject: false, all: true });
    if (result.exitCode !== 0) throw new Error(`ground truth for ${image.name} failed:\n${result.all}`);
    const id = String(result.stdout).trim().split('\n').pop() as string;
    groundTruthIds.add(id);
    if (engineName !== 'podman') return id.replace(/^sha256:/, '');
    // podman's docker-format config names the build container, new on every run of a step:
    // the image's identity here is what it holds and runs with, its layers and its config.
    const facts = await execa(clientOf(engineName), ['image', 'inspect', '--format', '{{json .RootFS.Layers}} {{json .Config}}', id]);
    return createHash('sha256').update(facts.stdout).digest('hex');
  }

  function mutate(file: string): void {
    mutation += 1;
    if (file.endsWith('bundle.tar')) writeTar(ws, `archive content ${mutation}\n`);
    else if (/(Dockerfile|Containerfile)$/.test(file)) ws.append(file, `\nLABEL org.test.mutation="${mutation}"\n`);
    else if (file.endsWith('.json')) ws.write(file, `${JSON.stringify(JSON.parse(ws.read(file)), null, mutation % 4)}\n`);
    else ws.append(file, `\n# mutation ${mutation}\n`);
  }

  beforeAll(async () => {
    await assertEngineReady(engineName);
    server = createServer((_req, res) => res.end(payload));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    ws = createTestWorkspace(PREFIX);
    const digests = ws.read('images/base/digests.env');
    ws.removePath('images');
    ws.write('images/base/digests.env', digests);
    ws.removePath('app');
    ws.write('.dockerignore', CORPUS_IGNORE);
    for (const [file, content] of Object.entries(CORPUS_FILES)) ws.write(file, content);
    writeTar(ws, 'archive content 0\n');
    for (const image of corpus) {
      ws.write(image.dockerfile, image.text.replaceAll('=ffreis/', `=${PREFIX}/`).replace('PORT', String(port)));
      if (image.target)
        ws.write(
          image.dockerfile.replace(/[^/]+$/, 'project.json'),
          `${JSON.stringify({ targets: { build: { options: { target: image.target } } } })}\n`,
        );
    }
    await tools.removeRepositories(corpus.flatMap((image) => [`${PREFIX}/${image.name}`, `${GT}/${image.name}`]));
  });

  afterAll(async () => {
    await tools.removeRepositories(corpus.flatMap((image) => [`${PREFIX}/${image.name}`, `${GT}/${image.name}`]));
    await tools.removeImages(groundTruthIds);
    ws?.remove();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('builds the whole corpus through Nx', async () => {
    const result = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], env);
    expect(result.exitCode, result.output).toBe(0);
    for (const image of corpus) expect(ws.meta(image.name)?.status, image.name).toBe('built');
  });

  it('changes the hash of every image whose engine build changes, file by file (100% sound), and reports precision', async () => {
    let files = [
      ...Object.keys(CORPUS_FILES).filter((file) => engineName === 'docker' || PODMAN_FILES.test(file)),
      ...(engineName === 'docker' ? ['cases/tar/bundle.tar'] : []),
      '.dockerignore',
      ...(corpus.some((image) => image.target) ? ['images/target/project.json'] : []),
      ...corpus.map((image) => image.dockerfile),
    ].filter((file) =>
      file.startsWith('images/') ? corpus.some((image) => file.startsWith(image.dockerfile.replace(/[^/]+$/, ''))) : true,
    );
    // SOUNDNESS_STRIDE=n mutates every n-th file only (the file list is fixed, so the same ones
    // each run): .ci/run sets 3 to stay within CI's time where each docker build pays a fixed
    // second. Unset, every file is mutated.
    const stride = Math.max(1, Number(process.env.SOUNDNESS_STRIDE) || 1);
    const everyFile = files.length;
    files = files.filter((_, i) => i % stride === 0);
    const names = corpus.map((image) => image.name);
    const handedToEngine = new Set((await nxHashes(ws, env)).alwaysBuilt);
    // Our build and the plain ground-truth builds side by side: separate tags, and the
    // context the engine gets (an allowlist) holds nothing either writes.
    let [hashes, ids] = await Promise.all([builtHashes(ws, env, names), groundTruth()]);
    const outcomes: Outcome[] = [];
    for (const file of files) {
      mutate(file);
      const [nextHashes, nextIds] = await Promise.all([builtHashes(ws, env, names), groundTruth()]);
      for (const image of corpus) {
        outcomes.push({
          file,
          image: image.name,
          hashChanged: hashes[image.name] !== nextHashes[image.name],
          engineChanged: ids[image.name] !== nextIds[image.name],
        });
      }
      hashes = nextHashes;
      ids = nextIds;
    }
    // An image the hash cannot cover is never reused: it is handed to the engine on every run (checked below).
    const unsound = outcomes.filter((o) => o.engineChanged && !o.hashChanged && !handedToEngine.has(o.image));
    expect([...handedToEngine].sort()).toEqual(['add-url', 'bind-all', 'keep'].filter((name) => corpus.some((c) => c.name === name)));
    const hashChanges = outcomes.filter((o) => o.hashChanged);
    const agreed = hashChanges.filter((o) => o.engineChanged);
    const precision = hashChanges.length ? agreed.length / hashChanges.length : 1;
    console.log(
      `soundness on ${engineName}: ${files.length} files (of ${everyFile}; SOUNDNESS_STRIDE=${stride}) × ${corpus.length} images; ` +
        `engine changes ` +
        `${outcomes.filter((o) => o.engineChanged).length}, ` +
        `hash changes ${hashChanges.length}, unsound ${unsound.length}, precision ${(precision * 100).toFixed(1)}%, ` +
        `handed to the engine on every run: ${[...handedToEngine].sort().join(', ')}\n` +
        `over-approximations: ${hashChanges
          .filter((o) => !o.engineChanged)
          .map((o) => `${o.file}→${o.image}`)
          .join(', ')}`,
    );
    expect(unsound.map((o) => `${o.file} changed ${o.image} in the engine but not its hash`)).toEqual([]);
    // Files no image reads, or the engine never gets, change no hash.
    for (const file of [
      'cases/unused/notes.md',
      'cases/docs/guide.md',
      'NOTES.md',
      'cases/dotfiles/local.env',
      'cases/keep/other.pyc',
      'cases/wildcard/notes.txt',
    ].filter((f) => files.includes(f))) {
      expect(
        outcomes.filter((o) => o.file === file && o.hashChanged && o.image !== 'bind-all').map((o) => o.image),
        file,
      ).toEqual([]);
    }
    // A build per file and image, twice: slow where each engine build pays a fixed second.
  }, 1_800_000);

  it('never reuses an image whose remote content changed: it is handed to the engine on every run', async () => {
    const first = await ws.nx(['run', 'add-url:build', '--output-style=stream'], env);
    expect(first.exitCode, first.output).toBe(0);
    const before = ws.meta('add-url');
    payload = 'remote payload 2\n';
    const second = await ws.nx(['run', 'add-url:build', '--output-style=stream'], env);
    expect(second.exitCode, second.output).toBe(0);
    expect(second.output).toContain('add-url: handed to');
    const after = ws.meta('add-url');
    expect(after?.status).toBe('built');
    expect(after?.imageId).not.toBe(before?.imageId);
    const content = await tools.run(['run', '--rm', '--entrypoint', 'cat', after?.ref as string, '/payload.txt']);
    expect(content.stdout.trim()).toBe('remote payload 2');
  });

  it('hands an image to the engine on every run when it reads a file git ignores (Nx cannot hash it), and says so', async () => {
    const result = await ws.nx(['run', 'keep:build', '--output-style=stream'], env);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain(
      `keep: handed to ${engineName} on every run: cases/keep/keep.pyc is ignored by git (so Nx cannot hash it) but sent to the ` +
        `engine; add it to .dockerignore`,
    );
    const shown = await ws.nx(['show', 'project', 'keep', '--json']);
    expect(JSON.parse(shown.output.slice(shown.output.indexOf('{'))).targets.build.metadata.description).toContain(
      'Always handed to the engine',
    );
  });
});

describe('soundness and precision on the shipped chain (docker)', () => {
  const PREFIX = 'itest-sound-chain';
  const GT = 'gt-sound-chain';
  const tools = engineTools('docker');
  const env = engineEnv('docker');
  const CHAIN_IMAGES: CorpusImage[] = [
    { name: 'base', dockerfile: 'images/base/Dockerfile', text: '', pinned: true },
    { name: 'base-builder', dockerfile: 'images/base-builder/Dockerfile', text: '', parents: { BASE_IMAGE: 'base' } },
    { name: 'base-runner', dockerfile: 'images/base-runner/Dockerfile', text: '', parents: { BASE_IMAGE: 'base' } },
    { name: 'builder', dockerfile: 'images/builder/Dockerfile', text: '', parents: { BASE_BUILDER_IMAGE: 'base-builder' } },
    {
      name: 'runner',
      dockerfile: 'images/runner/Dockerfile',
      text: '',
      parents: { BUILDER_IMAGE: 'builder', BASE_RUNNER_IMAGE: 'base-runner' },
    },
  ];
  let ws: TestWorkspace;
  const groundTruthIds = new Set<string>();

  async function groundTruth(): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const image of CHAIN_IMAGES) {
      const args = ['build', '-q', '-f', join(ws.dir, image.dockerfile), '-t', `${GT}/${image.name}:latest`, '--network', 'host'];
      if (image.pinned)
        args.push('--build-arg', `BASE_IMAGE=${process.env.BASE_IMAGE}`, '--build-arg', `BASE_DIGEST=${process.env.BASE_DIGEST}`);
      for (const [arg, parent] of Object.entries(image.parents ?? {})) args.push('--build-arg', `${arg}=${GT}/${parent}:latest`);
      const result = await execa(clientOf('docker'), [...args, ws.dir], { env: { DOCKER_BUILDKIT: '1' }, reject: false, all: true });
      if (result.exitCode !== 0) throw new Error(`ground truth for ${image.name} failed:\n${result.all}`);
      ids[image.name] = String(result.stdout).trim();
      groundTruthIds.add(ids[image.name]);
    }
    return ids;
  }

  beforeAll(async () => {
    await assertEngineReady('docker');
    ws = createTestWorkspace(PREFIX);
    // A repository, so git's own excludes (.git/info/exclude) apply, as in a clone.
    execFileSync('git', ['init', '-q'], { cwd: ws.dir });
  });

  /**
   * One change, as a person would make it: code and text gain a line, Dockerfiles a label,
   * JSON a new indent; `chmod ±x <file>` flips a mode bit, `mkdir <dir>` adds an empty folder, and
   * `exclude <file>` adds a file that only .git/info/exclude hides from git (and so from Nx).
   */
  function mutateChain(change: string, n: number): void {
    const [verb, target] = change.split(' ');
    if (verb === 'chmod') {
      const file = join(ws.dir, change.split(' ')[2]);
      const mode = statSync(file).mode & 0o7777;
      chmodSync(file, target === '+x' ? mode | 0o111 : mode & ~0o111);
    } else if (verb === 'mkdir') mkdirSync(join(ws.dir, target), { recursive: true });
    else if (verb === 'exclude') {
      ws.write(target, `# only git's own excludes hide this (${n})\n`);
      appendFileSync(join(ws.dir, '.git/info/exclude'), `/${target}\n`);
    } else if (change.endsWith('Dockerfile')) ws.append(change, `\nLABEL org.test.mutation="${n}"\n`);
    else if (change.endsWith('.json')) ws.write(change, `${JSON.stringify(JSON.parse(ws.read(change)), null, 1 + (n % 3))}\n`);
    else ws.append(change, `\n# mutation ${n}\n`);
  }

  afterAll(async () => {
    await tools.removeRepositories(CHAIN_IMAGES.flatMap((image) => [`${PREFIX}/${image.name}`, `${GT}/${image.name}`]));
    await tools.removeImages(groundTruthIds);
    ws?.remove();
  });

  it('changes the hash whenever the engine’s image changes, and reports precision (≥ 90%)', async () => {
    // Each file the chain's builds read, changed as a person would: code and text gain a line,
    // Dockerfiles a label; the pin moves to another digest of the same upstream.
    const files = [
      'app/lib.py',
      'app/main.py',
      'app/tests/__init__.py',
      'app/tests/test_lib.py',
      'app/tests/test_main.py',
      'app/pyproject.toml',
      'app/requirements.txt',
      'images/base-runner/entrypoint.sh',
      ...CHAIN_IMAGES.map((image) => image.dockerfile),
      'README.md',
      'package.json',
      // What Nx's file hashes cannot see: modes, empty folders, files only git's own excludes hide.
      'chmod -x images/base-runner/entrypoint.sh',
      'chmod +x images/base-runner/entrypoint.sh',
      'chmod +x app/lib.py',
      'mkdir app/empty',
      'chmod -x README.md',
      'exclude app/local_settings.py',
    ];
    const names = CHAIN_IMAGES.map((image) => image.name);
    let hashes = await builtHashes(ws, env, names);
    let ids = await groundTruth();
    const outcomes: Outcome[] = [];
    let n = 0;
    const handedToEngine = new Set<string>();
    for (const file of files) {
      n += 1;
      mutateChain(file, n);
      const next = await builtHashes(ws, env, names);
      const nextIds = await groundTruth();
      // An image the hash cannot cover is never reused (handed to the engine on every run): not unsound.
      const handed = new Set((await nxHashes(ws, env)).alwaysBuilt);
      for (const image of CHAIN_IMAGES) {
        if (handed.has(image.name)) handedToEngine.add(`${file}→${image.name}`);
        outcomes.push({
          file,
          image: image.name,
          hashChanged: hashes[image.name] !== next[image.name] || handed.has(image.name),
          engineChanged: ids[image.name] !== nextIds[image.name],
        });
      }
      hashes = next;
      ids = nextIds;
    }
    const unsound = outcomes.filter((o) => o.engineChanged && !o.hashChanged);
    const hashChanges = outcomes.filter((o) => o.hashChanged);
    const precision = hashChanges.filter((o) => o.engineChanged).length / hashChanges.length;
    // The excluded file reaches the engine, so builder (and what builds on it) is handed over from then on.
    expect([...handedToEngine].some((h) => h.startsWith('exclude app/local_settings.py→builder'))).toBe(true);
    console.log(
      `shipped chain: ${files.length} changes × 5 images; hash changes ${hashChanges.length}, unsound ${unsound.length}, precision ` +
        `${(precision * 100).toFixed(1)}%; handed to the engine: ${[...handedToEngine].join(', ') || 'none'}\n` +
        `over-approximations: ${hashChanges
          .filter((o) => !o.engineChanged)
          .map((o) => `${o.file}→${o.image}`)
          .join(', ')}`,
    );
    expect(unsound.map((o) => `${o.file} changed ${o.image} in the engine but not its hash`)).toEqual([]);
    expect(precision).toBeGreaterThanOrEqual(0.9);
  });
});
