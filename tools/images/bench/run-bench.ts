/**
 * `npm run bench`: our builds against plain sequential `docker build`s of the same
 * Dockerfiles, scenario by scenario, several runs each; writes docs/benchmarks.md.
 * Needs the engine and registry of `.ci/engine.sh` (BASE_IMAGE/BASE_DIGEST set). It runs
 * against engines of its own (a second dockerd with its own data root, podman with its own
 * storage), so emptying them between cold runs never touches the user's images or build cache.
 */
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { engineEnv, engineTools } from '../tests/support/engine';
import type { EngineName } from '../src/core/options';
import { startRegistry } from '../tests/support/registry';
import { removeEngineDir, startPrivateEngine } from '../tests/support/private-engine';
import { CHAIN, createTestWorkspace, REPO_ROOT, type TestWorkspace } from '../tests/support/workspace';
import { runBaseline } from './baseline';
import { formatStats, pairedRatio, statsOf, type Stats } from './stats';

const OURS = 'bench';
const BASE = 'bench-baseline';
const CLIENT = process.env.CONTAINER_CLIENT || 'docker';
const NETWORK = process.env.BUILD_NETWORK;
const RUNS = Number(process.env.BENCH_RUNS || 5);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS || 3);
const docker = engineTools('docker');

interface Row {
  scenario: string;
  ours: Stats;
  baseline?: Stats;
  note: string;
  /** Ours and the baseline ran in turn (measureInTurn): run i of each is one round. */
  inTurn?: boolean;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function nxBuild(ws: TestWorkspace, env: Record<string, string | undefined> = {}): Promise<void> {
  const result = await ws.nx(['run-many', '-t', 'build'], env);
  if (result.exitCode !== 0) throw new Error(`nx build failed:\n${result.output}`);
}

/** Emptying an engine is only ever done to the bench's own (ownEngines below). */
function ownEngineOnly(): void {
  if (!process.env.DOCKER_HOST?.startsWith('tcp://127.0.0.1:') || !process.env.CONTAINERS_STORAGE_CONF?.includes('bench-podman-')) {
    throw new Error('the bench empties only engines of its own; ownEngines() did not run');
  }
}

async function dropImages(prefix: string) {
  await docker.removeRepositories(CHAIN.map((n) => `${prefix}/${n}`));
}

async function emptyEngine() {
  await dropImages(OURS);
  await dropImages(BASE);
  ownEngineOnly();
  await docker.run(['builder', 'prune', '--all', '--force']);
}

/**
 * The bench fixture's dependency step: fixed CPU work with a deterministic result (about
 * 90–100 s here), standing in for a real `pip install` of a heavy stack (PyPI is out of reach).
 */
const HEAVY_DEPENDENCY_STEP =
  '# Bench fixture: a dependency step that costs what a real install does (deterministic).\n' +
  "RUN python -c \"import hashlib; h = b''; exec('for _ in range(100_000_000): h = hashlib.sha256(h).digest()'); " +
  "open('/src/dependencies.bin', 'wb').write(h)\"\n";

/**
 * "Fresh runner, app changed", on one engine: the registry holds the previous commit's
 * images (hash tags and :latest), the engine is emptied, and app/lib.py changed, so builder
 * and runner build. With the layer cache, builder's dependency step comes from the registry;
 * with IMAGE_LAYER_CACHE=off it runs again.
 */
async function freshRunnerAppChanged(
  engineName: EngineName,
  registry: string,
): Promise<{ cached: Stats; uncached: Stats; readOnly?: Stats }> {
  const prefix = `bench-layers-${engineName}`;
  const tools = engineTools(engineName);
  const ws = createTestWorkspace(prefix);
  const env = { ...engineEnv(engineName), IMAGE_REGISTRY: `${registry}/${prefix}` };
  const empty = async () => {
    const listed = await tools.run(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    const refs = listed.stdout.split('\n').filter((r) => r.includes(prefix) && !r.endsWith(':<none>'));
    if (refs.length > 0) await tools.run(['rmi', '--force', ...refs]);
    ownEngineOnly();
    await tools.run(engineName === 'docker' ? ['builder', 'prune', '--all', '--force'] : ['image', 'prune', '--force']);
    ws.removePath('dist');
  };
  try {
    const dockerfile = 'images/builder/Dockerfile';
    const requirements = 'COPY --chown=appuser:appgroup app/requirements.txt ./requirements.txt\n';
    if (!ws.read(dockerfile).includes(requirements)) throw new Error(`${dockerfile}: the requirements COPY moved; update the bench`);
    ws.write(dockerfile, ws.read(dockerfile).replace(requirements, requirements + HEAVY_DEPENDENCY_STEP));
    await empty();
    await nxBuild(ws, env);
    const pushed = await ws.nx(['run-many', '-t', 'push', '--tags=latest'], env);
    if (pushed.exitCode !== 0) throw new Error(pushed.output);
    let edit = 0;
    const prepare = async () => {
      await empty();
      // A new app change each run: a hash the registry has never seen.
      ws.append('app/lib.py', `\n# bench edit ${edit++}\n`);
    };
    const cached = await measure(COLD_RUNS, prepare, () => nxBuild(ws, env));
    const uncached = await measure(COLD_RUNS, prepare, () => nxBuild(ws, { ...env, IMAGE_LAYER_CACHE: 'off' }));
    // Podman writes the build's layers back (--cache-to) unless told to only read (a pull request's build).
    const readOnly =
      engineName === 'podman' ? await measure(COLD_RUNS, prepare, () => nxBuild(ws, { ...env, IMAGE_LAYER_CACHE: 'read' })) : undefined;
    return { cached, uncached, readOnly };
  } finally {
    await empty();
    ws.remove();
  }
}

/** Two series added run by run: a lower bound made of two costs paid one after the other. */
function sum(a: Stats, b: Stats): Stats {
  return statsOf(a.runs.map((ms, i) => ms + (b.runs[i] ?? b.median)));
}

/**
 * The least any Nx-driven build of a change can take: Nx's floor (daemon on, the lower one)
 * plus plain `docker build`s of only the images that change.
 */
function lowerBound(change: string, floor: Stats, floorDaemon: Stats, only: Stats, baseline: Stats, images: string): Row {
  const least = floorDaemon.median < floor.median ? floorDaemon : floor;
  return {
    scenario: `lower bound for the ${change}: Nx's floor (daemon ${least === floorDaemon ? 'on' : 'off'}) + plain builds of ${images} only`,
    ours: sum(least, only),
    baseline,
    note: `plain builds of ${images} alone: ${formatStats(only)}`,
  };
}

/** Runs `work` with nx.json listing no plugin, then puts nx.json back. */
async function withoutPlugins<T>(ws: TestWorkspace, work: () => Promise<T>): Promise<T> {
  const nxJson = ws.read('nx.json');
  ws.write('nx.json', `${JSON.stringify({ ...JSON.parse(nxJson), plugins: [] }, null, 2)}\n`);
  try {
    return await work();
  } finally {
    ws.write('nx.json', nxJson);
  }
}

/**
 * Ours and the baseline in turn, the order swapped every round (ours first, then the baseline
 * first): a machine that slows or speeds up during the series weighs on both alike. Run `i`
 * of either is prepared by `prepare(2i)` or `prepare(2i + 1)`.
 */
async function measureInTurn(
  runs: number,
  prepare: (i: number) => Promise<void>,
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<{ ours: Stats; baseline: Stats }> {
  const times = { ours: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
    for (const [k, which] of order.entries()) {
      await prepare(2 * i + k);
      times[which].push(await timed(which === 'ours' ? ours : baseline));
    }
  }
  return { ours: statsOf(times.ours), baseline: statsOf(times.baseline) };
}

async function measure(runs: number, prepare: (i: number) => Promise<void>, work: () => Promise<unknown>): Promise<Stats> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await prepare(i);
    times.push(await timed(work));
  }
  return statsOf(times);
}

/**
 * Points this process and every child at the bench's own engines: a private dockerd (DOCKER_HOST)
 * and a private podman store (CONTAINERS_STORAGE_CONF). Returns how to stop and remove them.
 */
async function ownEngines(): Promise<() => Promise<void>> {
  const dockerd = await startPrivateEngine('docker');
  Object.assign(process.env, dockerd.env);
  const podman = mkdtempSync(join(tmpdir(), 'bench-podman-'));
  const conf = join(podman, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "overlay"\ngraphroot = "${podman}/root"\nrunroot = "${podman}/run"\n`);
  process.env.CONTAINERS_STORAGE_CONF = conf;
  return async () => {
    await dockerd.stop();
    removeEngineDir(podman);
  };
}

async function main() {
  const stopEngines = await ownEngines();
  try {
    await bench();
  } finally {
    await stopEngines();
  }
}

async function bench() {
  const ws = createTestWorkspace(OURS);
  const rows: Row[] = [];
  const baseline = () => runBaseline(ws.dir, BASE, CLIENT, NETWORK);
  const nothing = async () => undefined;
  // In the bench's own copy only: a trivial cached target per image, chained like build:
  // Nx's own floor for five tasks (graph, hashing, cache lookups, no process per task).
  for (const name of CHAIN) {
    ws.write(
      `images/${name}/project.json`,
      JSON.stringify({
        name,
        targets: {
          floor: { command: 'true', cache: true, dependsOn: ['^floor'], inputs: ['{projectRoot}/Dockerfile'] },
        },
      }),
    );
  }
  try {
    await nxBuild(ws);
    await baseline();

    // One untimed no-op first, as each floor below gets one: every no-op figure is of a warm run.
    await nxBuild(ws);
    const noop = await measure(RUNS, nothing, () => nxBuild(ws));
    const noopBase = await measure(RUNS, nothing, baseline);
    rows.push({ scenario: 'no-op (all present), Nx daemon off', ours: noop, baseline: noopBase, note: 'one engine listing for the run' });

    // The daemon starts and settles (file map, graph, first hashes) before anything is timed.
    for (const target of ['build', 'floor', 'build']) await ws.nx(['run-many', '-t', target], { NX_DAEMON: 'true' });
    const noopDaemon = await measure(RUNS, nothing, () => nxBuild(ws, { NX_DAEMON: 'true' }));
    const floorDaemon = await measure(RUNS, nothing, () => ws.nx(['run-many', '-t', 'floor'], { NX_DAEMON: 'true' }));
    await ws.nx(['daemon', '--stop']);
    rows.push({ scenario: 'no-op (all present), Nx daemon on', ours: noopDaemon, baseline: noopBase, note: '' });

    await ws.nx(['run-many', '-t', 'floor']);
    const floor = await measure(RUNS, nothing, () => ws.nx(['run-many', '-t', 'floor']));
    const inspect = await measure(RUNS, nothing, () =>
      docker.run(['images', '--no-trunc', '--filter', 'label=org.ffreis.nx-hash', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']),
    );
    rows.push({
      scenario: 'floor: `nx run-many` of a trivial cached target (5 chained tasks), daemon off',
      ours: floor,
      note: 'Nx’s fixed cost',
    });
    rows.push({ scenario: 'floor: same, daemon on', ours: floorDaemon, note: '' });
    // The same five trivial tasks with no plugin in nx.json: what Nx costs alone. The floor
    // above includes our plugin (its graph work without the daemon, and its hooks' engine listing).
    const { bareFloor, bareFloorDaemon } = await withoutPlugins(ws, async () => {
      await ws.nx(['run-many', '-t', 'floor']);
      const off = await measure(RUNS, nothing, () => ws.nx(['run-many', '-t', 'floor']));
      await ws.nx(['run-many', '-t', 'floor'], { NX_DAEMON: 'true' });
      const on = await measure(RUNS, nothing, () => ws.nx(['run-many', '-t', 'floor'], { NX_DAEMON: 'true' }));
      await ws.nx(['daemon', '--stop']);
      return { bareFloor: off, bareFloorDaemon: on };
    });
    rows.push({ scenario: 'floor of Nx alone: same tasks, no plugin in nx.json, daemon off', ours: bareFloor, note: 'no plugin at all' });
    rows.push({ scenario: 'floor of Nx alone, daemon on', ours: bareFloorDaemon, note: '' });
    rows.push({
      scenario: 'one engine listing (`docker images --filter label=…`)',
      ours: inspect,
      note: 'the one engine query of a no-op run',
    });

    const appChange = (i: number) => async () => ws.append('app/lib.py', `\n# bench ${Date.now()} ${i}\n`);
    const preview = await measure(
      RUNS,
      (i) => appChange(i + 100)(),
      () => nxBuild(ws, { NX_IMAGES_PLAN: '1' }),
    );
    rows.push({
      scenario: 'preview of an app change (`NX_IMAGES_PLAN=1`), daemon off',
      ours: preview,
      baseline: noop,
      note: 'builds nothing; baseline column: our no-op',
    });
    const { ours: app, baseline: appBase } = await measureInTurn(
      RUNS,
      (i) => appChange(i)(),
      () => nxBuild(ws),
      baseline,
    );
    rows.push({
      scenario: 'app change (`app/lib.py`), Nx daemon off',
      ours: app,
      baseline: appBase,
      note: 'builder (with the app’s tests) and runner rebuild',
      inTurn: true,
    });
    for (let i = 0; i < 2; i++) await nxBuild(ws, { NX_DAEMON: 'true' });
    const appDaemon = await measure(
      RUNS,
      (i) => appChange(i + 2 * RUNS)(),
      () => nxBuild(ws, { NX_DAEMON: 'true' }),
    );
    rows.push({ scenario: 'app change, Nx daemon on', ours: appDaemon, baseline: appBase, note: '' });
    // What no Nx-driven tool can go below: Nx's floor plus plain builds of only the images that change.
    const appOnly = await measure(
      RUNS,
      (i) => appChange(i + 3 * RUNS)(),
      () => runBaseline(ws.dir, BASE, CLIENT, NETWORK, ['builder', 'runner']),
    );
    rows.push(lowerBound('app change', floor, floorDaemon, appOnly, appBase, 'builder and runner'));

    // A real layer (not a LABEL, which BuildKit applies without running anything).
    const runnerChange = (i: number) => async () =>
      ws.append('images/base-runner/Dockerfile', `\nRUN echo "${Date.now()}-${i}" > /tmp/bench-marker\n`);
    const { ours: baseRunner, baseline: baseRunnerBase } = await measureInTurn(
      RUNS,
      (i) => runnerChange(i)(),
      () => nxBuild(ws),
      baseline,
    );
    rows.push({
      scenario: 'base-runner Dockerfile change, Nx daemon off',
      ours: baseRunner,
      baseline: baseRunnerBase,
      note: 'base-runner and runner rebuild',
      inTurn: true,
    });
    const baseRunnerDaemon = await measure(
      RUNS,
      (i) => runnerChange(i + 2 * RUNS)(),
      () => nxBuild(ws, { NX_DAEMON: 'true' }),
    );
    await ws.nx(['daemon', '--stop']);
    rows.push({ scenario: 'base-runner Dockerfile change, Nx daemon on', ours: baseRunnerDaemon, baseline: baseRunnerBase, note: '' });
    const baseRunnerOnly = await measure(
      RUNS,
      (i) => runnerChange(i + 3 * RUNS)(),
      () => runBaseline(ws.dir, BASE, CLIENT, NETWORK, ['base-runner', 'runner']),
    );
    rows.push(lowerBound('base-runner change', floor, floorDaemon, baseRunnerOnly, baseRunnerBase, 'base-runner and runner'));

    const registry = await startRegistry(5003);
    try {
      const env = { IMAGE_REGISTRY: `${registry.address}/bench` };
      const pushed = await ws.nx(['run-many', '-t', 'push'], env);
      if (pushed.exitCode !== 0) throw new Error(pushed.output);
      const empty = async () => {
        await emptyEngine();
        ws.removePath('dist');
      };
      // Both cold builds fetch their packages from the Debian archive: in turn, so its pace weighs on both alike.
      const { ours: coldOurs, baseline: cold } = await measureInTurn(COLD_RUNS, empty, () => nxBuild(ws), baseline);
      const freshRunner = await measure(COLD_RUNS, empty, () => nxBuild(ws, env));
      rows.push({
        scenario: 'fresh runner: empty engine, registry holds every image',
        ours: freshRunner,
        baseline: cold,
        note: 'ours pulls; the baseline rebuilds from the base',
      });
      rows.push({
        scenario: 'cold build (empty engine, no registry)',
        ours: coldOurs,
        baseline: cold,
        note: 'both build everything',
        inTurn: true,
      });
      for (const engineName of ['docker', 'podman'] as const) {
        const { cached, uncached, readOnly } = await freshRunnerAppChanged(engineName, registry.address);
        rows.push({
          scenario: `fresh runner, app changed, heavy dependency step (${engineName}): layer cache from the registry`,
          ours: cached,
          baseline: uncached,
          note: 'baseline: the same run with IMAGE_LAYER_CACHE=off',
        });
        if (readOnly) {
          rows.push({
            scenario: `same, ${engineName}, IMAGE_LAYER_CACHE=read (imports, writes nothing back: a pull request's build)`,
            ours: readOnly,
            baseline: uncached,
            note: 'baseline: IMAGE_LAYER_CACHE=off',
          });
        }
      }
    } finally {
      await registry.stop();
      await docker.removeRepositories(CHAIN.map((n) => `${registry.address}/bench/${n}`));
    }
    await writeReport(rows, { noop, floor, noopDaemon, floorDaemon, bareFloor, bareFloorDaemon, inspect, noopBase });
  } finally {
    await dropImages(OURS);
    await dropImages(BASE);
    ws.remove();
  }
}

async function versions() {
  const server = (await docker.run(['version', '--format', '{{.Server.Version}}'])).stdout.trim();
  const client = (await docker.run(['version', '--format', '{{.Client.Version}}'])).stdout.trim();
  const nx = (await execa(process.execPath, [join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js'), '--version'], { reject: false })).stdout;
  return { server, client, nx: /v?(\d+\.\d+\.\d+)/.exec(nx)?.[1] ?? nx.trim() };
}

async function writeReport(rows: Row[], profile: Record<string, Stats>) {
  const v = await versions();
  {
    const ratio = (row: Row) => {
      if (!row.baseline) return '';
      const ofMedians = `${(row.baseline.median / row.ours.median).toFixed(2)}×`;
      return row.inTurn ? `${ofMedians} (per round: ${pairedRatio(row.ours, row.baseline).toFixed(2)}×)` : ofMedians;
    };
    const table = rows.map(
      (r) => `| ${r.scenario} | ${formatStats(r.ours)} | ${r.baseline ? formatStats(r.baseline) : ''} | ${ratio(r)} | ${r.note} |`,
    );
    const overhead = (a: Stats, b: Stats) => ((a.median - b.median) / 1000).toFixed(2);
    const report = [
      '# Benchmarks',
      '',
      `Real run of \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, ` +
        `${(totalmem() / 2 ** 30).toFixed(0)} GiB,`,
      `docker engine ${v.server} (client ${v.client}, BuildKit), Nx ${v.nx}, Node ${process.versions.node}.`,
      `Median of ${RUNS} runs (${COLD_RUNS} for the cold scenarios), min–max in brackets.`,
      "Baseline: plain sequential `docker build`s of the same five Dockerfiles in dependency order, each FROM its parent's " +
        '`:latest` (what `make build-images` did), same client, BuildKit and network.',
      'For the app change (daemon off), the base-runner change (daemon off) and the cold build, ours and the baseline run',
      'in turn, the order swapped every round, so a machine that slows down during the series weighs on both alike.',
      'Ratio: baseline ÷ ours (above 1: ours is faster), of the medians; for the rows run in turn, also the median of',
      "each round's own ratio (both sides of a round share the machine's state at that moment).",
      '',
      '| scenario | ours | baseline | ratio | note |',
      '|---|---|---|---|---|',
      ...table,
      '',
      '## No-op overhead over Nx’s floor',
      '',
      'Two floors: five trivial cached tasks in this workspace, with our plugin loaded (its graph work without the',
      'daemon, its hooks and their engine listing), and the same tasks with no plugin in nx.json (Nx alone).',
      `- daemon off: ours ${formatStats(profile.noop)}; with the plugin ${formatStats(profile.floor)} ` +
        `(**+${overhead(profile.noop, profile.floor)} s**); Nx alone ${formatStats(profile.bareFloor)} ` +
        `(**+${overhead(profile.noop, profile.bareFloor)} s**).`,
      `- daemon on: ours ${formatStats(profile.noopDaemon)}; with the plugin ${formatStats(profile.floorDaemon)} ` +
        `(**+${overhead(profile.noopDaemon, profile.floorDaemon)} s**); Nx alone ${formatStats(profile.bareFloorDaemon)} ` +
        `(**+${overhead(profile.noopDaemon, profile.bareFloorDaemon)} s**).`,
      `- the one engine query of a no-op run (a listing of every image with the hash label) costs ${formatStats(profile.inspect)}.`,
      `- one fully cached plain \`docker build\` costs ${(profile.noopBase.median / 5000).toFixed(2)} s here (the baseline's ` +
        'no-op over five): the fixed cost of a BuildKit build on this engine, which every built image pays once, ours and ' +
        "the baseline's alike.",
      '',
      'The no-op cost model, from what Nx does per run (paths under `node_modules/nx/dist/src`):',
      '- **Forks:** one `sh` per image. `build` is an `nx:run-commands` target, which Nx runs inside its own process',
      '  (`tasks-runner/task-orchestrator.js`); its command, `exec sh bin/build.sh` (the shell Nx starts becomes the',
      '  script, no second fork), compares this hash, the recorded id and the engine view with shell built-ins. Node',
      '  (our full build program) starts only when something must be done.',
      '- **Transpiler:** none. The plugin is compiled JavaScript resolved from `node_modules/@ffreis/nx-images`',
      '  (an npm workspace built by `npm ci` through `prepare`), so Nx registers no TypeScript transpiler.',
      "- **Schemas:** every inferred target says `continuous: false`. Otherwise Nx reads each executor's schema to",
      '  learn it while it builds the graph, and for a plugin that resolves into the workspace that loads TypeScript',
      '  (`config/schema-utils.js`, `tryResolveFromSource`): about 0.3–0.5 s on every run without the daemon. The',
      "  plugin also takes the Nx values it needs from Nx's own modules, not `@nx/devkit`'s index (about 70 ms).",
      '- **Graph:** createNodes takes parsed Dockerfiles from `.nx/workspace-data/nx-images/dockerfiles.json`, keyed',
      "  by content, prefix and the parser's code: unchanged Dockerfiles are not parsed and dockerfile-ast is not loaded",
      '  (about 50 ms of a daemon-off run).',
      '- **Plugin isolation:** off (`NX_ISOLATE_PLUGINS=false` in the root `.env`): no plugin worker processes per',
      '  daemon-off run, and none for the daemon to respawn after the hooks.',
      '- **Hooks:** `preTasksExecution` takes the engine view (below); `postTasksExecution` reads five small records',
      '  and writes the summary. With the daemon on, both run inside the daemon.',
      '- **Engine calls:** one per run, not one per image: the `preTasksExecution` hook lists every image carrying the',
      '  hash label (`images --filter label=org.ffreis.nx-hash`) and hands the result to the tasks as `BUILD_NX_IMAGES_VIEW`',
      '  (the daemon keeps the `BUILD_` prefix out of its environment: any other name, new each run, made it recompute the',
      '  project graph on every run). Without the daemon the listing starts in createNodes, beside the graph work;',
      '  with it, the hook does not wait: the variable names a file the listing writes while Nx prepares the tasks.',
      '  A task trusts it only for the same engine, client and store settings (`DOCKER_HOST`, `CONTAINER_HOST`, …);',
      "  otherwise it asks the engine itself (one `image inspect`). A build is never replayed from Nx's cache",
      '  (a cached success could claim an image the engine no longer has).',
      '',
      "An image that must be built adds, on the critical path: the full program's start (0.12–0.2 s: Node and the",
      'program bundled into one file, execa included; Node reads the certificates `NODE_EXTRA_CA_CERTS` names as it',
      'starts, about 40 ms for a system bundle, so `bin/build.sh` starts a build without it, as a build makes no TLS',
      "connection of its own, and the program puts it back for the engine's children), an `image inspect` of its own",
      "hash tag only when the run's view",
      'does not show it absent (the client version only the first time, then remembered per client binary in',
      "`node_modules/.cache/nx-images`), the engine build (tagged with the hash and `:latest` at once, from the parents'",
      "exact tags in this run's marks), one `image inspect` that verifies the image and its parents together (a build",
      'whose parent changed meanwhile is taken back), and for an image children copy out of, the exports digest',
      '(`create`, then one `cp` per path, about 0.2 s each here) beside that inspect; the scratch container is removed',
      'without waiting. With docker and BuildKit, each child built before starts building in the background the moment',
      "its parent is built (its last build, from the new tag, tagging nothing): the child's own build, a few tenths of a",
      'second later, finds those layers cached or joins the steps still running.',
      'The Nx part of a run with changes is larger than the no-op floor: the graph and the hashes are recomputed.',
      '',
      '"Fresh runner, app changed": the registry holds the previous commit\'s images (hash tags and `:latest`), the',
      'engine is emptied (images and build cache) and `app/lib.py` changes, so builder and runner build. Builder gets a',
      'fixture dependency step of fixed CPU work (about a minute here; PyPI is out of reach), standing in for a real',
      '`pip install`. With the layer cache that step comes from the registry; the baseline is the same run with',
      "`IMAGE_LAYER_CACHE=off`. The ratio grows with the cost of the dependency step; what stays is the run's fixed",
      'part (pulling three parents, the app layers, the tests, runner): the `ours` column of those rows.',
      '',
    ].join('\n');
    writeFileSync(join(REPO_ROOT, 'docs', 'benchmarks.md'), report);
    console.log(report);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
