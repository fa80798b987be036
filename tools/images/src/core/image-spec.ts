import Ajv from 'ajv';
import { ImageError } from './errors';

export interface CommandCheck {
  name: string;
  entrypoint?: string;
  args?: string[];
  exitCode?: number;
  stdout?: string;
  stdoutMatches?: string;
  outputMatches?: string;
}

export interface FileCheck {
  path: string;
  exists?: boolean;
  owner?: string;
  mode?: string;
}

/** `images/<name>/image-test.json`, as described by tools/images/image-test.schema.json. */
export interface ImageSpec {
  user?: string;
  workdir?: string;
  entrypoint?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  maxSizeMB?: number;
  commands?: CommandCheck[];
  files?: FileCheck[];
}

/** What the engine told of the image, gathered by the test executor. */
export interface ImageObservations {
  config: {
    User?: string;
    WorkingDir?: string;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
  };
  sizeBytes: number;
  commands: { exitCode: number; stdout: string; stderr: string }[];
  /** Per spec file, in order: undefined when missing. */
  files: ({ owner: string; mode: string } | undefined)[];
}

/** One check's outcome, printed `✓ check` or `✗ check: expected …, actual …`. */
export interface CheckResult {
  check: string;
  ok: boolean;
  expected: string;
  actual: string;
}

// Read at run time (not imported) so the compiled plugin finds it beside its package, from src/ and dist/ alike.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schema = require('../../image-test.schema.json') as object;
const validateSchema = new Ajv({ allErrors: true, useDefaults: true }).compile(schema);

/** Validates a spec against its JSON schema; errors name the file and the JSON path. */
export function parseImageSpec(json: unknown, file: string): ImageSpec {
  const copy = structuredClone(json);
  if (!validateSchema(copy)) {
    const problems = (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new ImageError('BAD_OPTION', `${file}: not a valid image test spec: ${problems}. See tools/images/image-test.schema.json.`);
  }
  return copy as ImageSpec;
}

const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));

function compare(check: string, expected: unknown, actual: unknown, ok = JSON.stringify(expected) === JSON.stringify(actual)): CheckResult {
  return { check, ok, expected: show(expected), actual: show(actual) };
}

function commandResults(spec: CommandCheck, observed: ImageObservations['commands'][number]): CheckResult[] {
  const name = `command "${spec.name}"`;
  const stdout = observed.stdout.replace(/\n$/, '');
  const results = [compare(`${name}: exit code`, spec.exitCode ?? 0, observed.exitCode)];
  if (spec.stdout !== undefined) results.push(compare(`${name}: stdout`, spec.stdout, stdout));
  if (spec.stdoutMatches !== undefined)
    results.push(
      compare(
        `${name}: stdout matches /${spec.stdoutMatches}/`,
        `/${spec.stdoutMatches}/`,
        stdout,
        new RegExp(spec.stdoutMatches).test(stdout),
      ),
    );
  if (spec.outputMatches !== undefined) {
    const output = `${observed.stdout}\n${observed.stderr}`.trim();
    results.push(
      compare(
        `${name}: output matches /${spec.outputMatches}/`,
        `/${spec.outputMatches}/`,
        output,
        new RegExp(spec.outputMatches).test(output),
      ),
    );
  }
  return results;
}

function fileResults(spec: FileCheck, observed: ImageObservations['files'][number]): CheckResult[] {
  const exists = spec.exists ?? true;
  const results = [
    compare(`file ${spec.path}: ${exists ? 'exists' : 'absent'}`, exists ? 'present' : 'absent', observed ? 'present' : 'absent'),
  ];
  if (observed && spec.owner) results.push(compare(`file ${spec.path}: owner`, spec.owner, observed.owner));
  if (observed && spec.mode) results.push(compare(`file ${spec.path}: mode`, spec.mode.replace(/^0(?=[0-7]{3,4}$)/, ''), observed.mode));
  return results;
}

/** Evaluates every check of a spec against what was observed. Pure. */
export function evaluateSpec(spec: ImageSpec, observed: ImageObservations): CheckResult[] {
  const { config } = observed;
  const env = Object.fromEntries((config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const results: CheckResult[] = [];
  if (spec.user !== undefined) results.push(compare('user', spec.user, config.User ?? ''));
  if (spec.workdir !== undefined) results.push(compare('workdir', spec.workdir, config.WorkingDir ?? ''));
  if (spec.entrypoint !== undefined) results.push(compare('entrypoint', spec.entrypoint, config.Entrypoint ?? []));
  for (const [key, value] of Object.entries(spec.env ?? {})) results.push(compare(`env ${key}`, value, env[key]));
  for (const [key, value] of Object.entries(spec.labels ?? {})) results.push(compare(`label ${key}`, value, config.Labels?.[key]));
  if (spec.maxSizeMB !== undefined) {
    const size = observed.sizeBytes / 1_000_000;
    results.push(compare('size budget', `≤ ${spec.maxSizeMB} MB`, `${size.toFixed(1)} MB`, size <= spec.maxSizeMB));
  }
  (spec.commands ?? []).forEach((command, i) => results.push(...commandResults(command, observed.commands[i])));
  (spec.files ?? []).forEach((file, i) => results.push(...fileResults(file, observed.files[i])));
  return results;
}

/** The report: `✓ check` lines, and `✗ check: expected …, actual …` for failures. */
export function formatResults(results: CheckResult[]): string {
  return results.map((r) => (r.ok ? `  ✓ ${r.check}` : `  ✗ ${r.check}: expected ${r.expected}, actual ${r.actual}`)).join('\n');
}
