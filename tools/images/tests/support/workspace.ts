import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ImageMetadata } from '../../src/records/metadata';

/** The repository these tests run from. */
export const REPO_ROOT = resolve(__dirname, '../../../..');

export interface NxResult {
  exitCode: number;
  /** stdout and stderr interleaved. */
  output: string;
  durationMs: number;
}

/** How the tests run Nx: no daemon, cloud or TUI, no cache skipping, no colour, as on CI. */
export const NX_TEST_ENV: Record<string, string | undefined> = {
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NX_SKIP_NX_CACHE: undefined,
  FORCE_COLOR: '0',
  CI: 'true',
};

/** A throwaway copy of the workspace whose images carry their own prefix. */
export interface TestWorkspace {
  dir: string;
  prefix: string;
  /**
   * Runs nx in the copy. `viaPipe`: its output goes through a shell pipe, as in a terminal or a CI
   * runner, instead of the socket a Node parent gives it.
   */
  nx(args: string[], env?: Record<string, string | undefined>, viaPipe?: boolean): Promise<NxResult>;
  read(file: string): string;
  write(file: string, content: string): void;
  append(file: string, content: string): void;
  removePath(path: string): void;
  meta(image: string): ImageMetadata | undefined;
  /** Each image's status in the last run's summary (dist/images/summary.json). */
  statuses(): Record<string, string | undefined>;
  refs(): Record<string, string | undefined>;
  remove(): void;
}

/** The five images of the chain. */
export const CHAIN = ['base', 'base-builder', 'base-runner', 'builder', 'runner'] as const;

function copyTree(files: string[], from: string, to: string): void {
  for (const file of files) {
    const target = join(to, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, file), target);
    chmodSync(target, statSync(join(from, file)).mode);
  }
}

/**
 * Copies the workspace's files (what git tracks or would track) to a temp folder,
 * links node_modules, and renames the image prefix (`ffreis/` in the Dockerfiles
 * and nx.json) so the copy's images never collide with anyone else's.
 */
export function createTestWorkspace(prefix: string): TestWorkspace {
  const dir = mkdtempSync(join(tmpdir(), `ws-${prefix}-`));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && statSync(join(REPO_ROOT, f), { throwIfNoEntry: false })?.isFile());
  copyTree(files, REPO_ROOT, dir);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const image of readdirSync(join(dir, 'images'))) {
    const dockerfile = join(dir, 'images', image, 'Dockerfile');
    if (statSync(dockerfile, { throwIfNoEntry: false }))
      writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replaceAll('=ffreis/', `=${prefix}/`));
  }
  const nxJson = join(dir, 'nx.json');
  writeFileSync(nxJson, readFileSync(nxJson, 'utf8').replace('"prefix": "ffreis"', `"prefix": "${prefix}"`));

  const workspace: TestWorkspace = {
    dir,
    prefix,
    async nx(args, env = {}, viaPipe = false) {
      const started = Date.now();
      const nx = [process.execPath, join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args];
      const [file, argv] = viaPipe ? ['bash', ['-o', 'pipefail', '-c', '"$@" 2>&1 | cat', 'bash', ...nx]] : [nx[0], nx.slice(1)];
      const result = await execa(file, argv, {
        cwd: dir,
        reject: false,
        all: true,
        stdin: 'ignore',
        env: { ...NX_TEST_ENV, ...env },
        extendEnv: true,
      });
      return { exitCode: result.exitCode ?? 1, output: String(result.all ?? ''), durationMs: Date.now() - started };
    },
    read: (file) => readFileSync(join(dir, file), 'utf8'),
    write: (file, content) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    },
    removePath: (path) => rmSync(join(dir, path), { recursive: true, force: true }),
    append: (file, content) => writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8') + content),
    meta(image) {
      try {
        return JSON.parse(readFileSync(join(dir, 'dist/images', image, 'image.json'), 'utf8')) as ImageMetadata;
      } catch {
        return undefined;
      }
    },
    refs: () => Object.fromEntries(CHAIN.map((name) => [name, workspace.meta(name)?.ref])),
    statuses() {
      try {
        const summary = JSON.parse(readFileSync(join(dir, 'dist/images/summary.json'), 'utf8')) as {
          images: { name: string; status: string }[];
        };
        return Object.fromEntries(CHAIN.map((name) => [name, summary.images.find((i) => i.name === name)?.status]));
      } catch {
        return {};
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return workspace;
}

/** The images whose recorded ref differs between two snapshots. */
export function changedImages(before: Record<string, string | undefined>, after: Record<string, string | undefined>): string[] {
  return Object.keys(after)
    .filter((name) => before[name] !== after[name])
    .sort();
}
