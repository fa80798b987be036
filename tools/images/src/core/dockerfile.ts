import type * as DockerfileAst from 'dockerfile-ast';
import type { Copy, Flag, Instruction, JSONInstruction, Onbuild, Run } from 'dockerfile-ast';

let loadedAst: typeof DockerfileAst | undefined;
/**
 * dockerfile-ast, loaded at the first parse (about 30 ms of modules): a run whose
 * Dockerfiles all come from the plugin's parse cache never loads it.
 */
function ast(): typeof DockerfileAst {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedAst ??= require('dockerfile-ast') as typeof DockerfileAst);
}

/** A global `ARG` (declared before the first FROM), with its default when it has one. */
export interface DockerfileArg {
  name: string;
  defaultValue?: string;
  line: number;
}

/** An image reference found in a FROM, `COPY --from` or `RUN --mount=from=`, after ARG defaults are substituted. */
export interface ImageReference {
  /** The reference as written, e.g. `${BASE_IMAGE}`. */
  raw: string;
  /** With ARG defaults substituted; undefined when an ARG it uses has no default. */
  resolved?: string;
  /** ARGs the reference uses. */
  args: string[];
  /** 1-based line of the instruction. */
  line: number;
  instruction: 'FROM' | 'COPY --from' | 'RUN --mount';
}

/** A path the build reads from the build context (COPY/ADD source, bind mount, ONBUILD trigger). */
export interface ContextRead {
  /** Context-relative path after ARG/ENV substitution; may hold the engine's wildcards. */
  path: string;
  line: number;
  via: 'COPY' | 'ADD' | 'RUN --mount' | 'ONBUILD';
}

/** A read whose path cannot be known before the build: the whole context is then hashed. */
export interface UnknownRead {
  line: number;
  reason: string;
}

/** Content fetched from outside the workspace (`ADD <url>`, `ADD <git ref>`): never in the hash. */
export interface RemoteRead {
  line: number;
  source: string;
}

/**
 * One use of syntax beyond the classic builder: `buildkit` syntax (RUN --mount, --chmod)
 * needs BuildKit or Buildah; `modern` syntax (heredocs, --link, --network, …) needs a
 * Dockerfile frontend of 1.4 or later, which docker 20.10's built-in BuildKit and
 * podman before 4.8 do not have.
 */
export interface BuildkitFeature {
  feature: string;
  line: number;
  tier: 'buildkit' | 'modern';
}

/** What the reads of a set of instructions come to. */
export interface Reads {
  context: ContextRead[];
  unknown: UnknownRead[];
  remote: RemoteRead[];
}

/** What the plugin needs to know of one Dockerfile: pure data. */
export interface DockerfileInfo {
  globalArgs: DockerfileArg[];
  /** External or workspace images the Dockerfile builds FROM or copies from (stage aliases excluded). */
  imageReferences: ImageReference[];
  /** What the build itself reads. */
  reads: Reads;
  /** What the ONBUILD triggers it installs will read, in the build of an image FROM this one. */
  onbuild: Reads;
  /** Stage aliases (`FROM x AS alias`), lowercase, in order. */
  stageAliases: string[];
  /** Syntax beyond what docker 20.10's built-in frontend and Buildah 1.28 read. */
  buildkitFeatures: BuildkitFeature[];
  /** The `# syntax=` directive, when there is one. */
  syntax?: { value: string; line: number };
  /** Whether the Dockerfile has no FROM at all. */
  empty: boolean;
  /** Its stages in order: what each is built FROM, how many instructions follow, what they copy from where. */
  stages: StageInfo[];
  /** How many ONBUILD instructions it installs (a child's FROM runs them). */
  onbuildCount: number;
}

/** One stage: enough to tell whether a parent is only copied from (see `copyOnlyPaths`). */
export interface StageInfo {
  alias?: string;
  /** The FROM reference as written. */
  from: string;
  /** Instructions after the FROM. */
  instructions: number;
  /** `COPY --from=<source> <paths>`: the source as written (alias or image) and its paths. */
  copies: { from: string; paths: string[] }[];
  /** Other uses of another stage or image: `RUN --mount=from=…`, `FROM <alias>` of a later stage. */
  mounts: string[];
}

/** Options of {@link parseDockerfile}. */
export interface ParseOptions {
  /**
   * ARGs whose values the build passes (parent images, the digests pin): a COPY source
   * that uses one is not known from the Dockerfile alone. Default: none.
   */
  passedArgs?: ReadonlySet<string>;
}

/** Flags the classic builder reads, and flags BuildKit's oldest frontends (docker 20.10, Buildah 1.28) add. */
const CLASSIC_FLAGS: Record<string, string[]> = { RUN: [], COPY: ['from', 'chown'], ADD: ['chown'], FROM: ['platform'] };
const BUILDKIT_FLAGS: Record<string, string[]> = { RUN: ['mount'], COPY: ['chmod'], ADD: ['chmod'], FROM: [] };

/** The 1-based line an instruction starts on. */
export function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

function heredocsOf(instruction: Instruction): { getName(): string }[] {
  const withHeredocs = instruction as Instruction & { getHeredocs?: () => { getName(): string }[] };
  return typeof withHeredocs.getHeredocs === 'function' ? withHeredocs.getHeredocs() : [];
}

function buildkitFeaturesOf(instruction: Instruction): BuildkitFeature[] {
  const keyword = instruction.getKeyword();
  const features: BuildkitFeature[] = [];
  if (instruction instanceof ast().ModifiableInstruction && CLASSIC_FLAGS[keyword]) {
    for (const flag of instruction.getFlags()) {
      const name = flag.getName();
      if (CLASSIC_FLAGS[keyword].includes(name)) continue;
      features.push({
        feature: `${keyword} --${name}`,
        line: lineOf(instruction),
        tier: BUILDKIT_FLAGS[keyword].includes(name) ? 'buildkit' : 'modern',
      });
    }
  }
  if (heredocsOf(instruction).length > 0)
    features.push({ feature: `${keyword} with a heredoc`, line: lineOf(instruction), tier: 'modern' });
  return features;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}` and
 * `${VAR+word}` as the Dockerfile frontend does. `values` maps a variable in scope to
 * its value (undefined: declared but with no value known before the build). Returns
 * undefined when the result depends on a value that is not known, or on a form the
 * frontend may read differently (escapes, other modifiers).
 */
export function substituteArgs(text: string, values: ReadonlyMap<string, string | undefined>): string | undefined {
  if (text.includes('\\$') || /\$\{[^}]*[#%/^,][^}]*\}/.test(text)) return undefined;
  let unknown = false;
  const result = text.replace(
    VARIABLE,
    (_whole, braced: string | undefined, modifier: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const known = values.has(name);
      const value = values.get(name);
      if (known && value === undefined) {
        unknown = true;
        return '';
      }
      const set = known && (modifier?.startsWith(':') ? value !== '' : true);
      if (!modifier) {
        if (!known) unknown = true;
        return value ?? '';
      }
      if (modifier.endsWith('-')) return set ? (value as string) : (word ?? '');
      return set ? (word ?? '') : '';
    },
  );
  return unknown ? undefined : result;
}

/** Names of the variables a text uses. */
export function variablesIn(text: string): string[] {
  return [...text.matchAll(VARIABLE)].map((m) => (m[1] ?? m[4]) as string);
}

/** Exec-form arguments; parsed with JSON.parse because dockerfile-ast's getJSONValue drops spaces. */
function jsonArguments(instruction: JSONInstruction): string[] {
  const raw = instruction.getRawArgumentsContent() ?? '';
  try {
    const parsed: unknown = JSON.parse(raw.slice(raw.indexOf('[')).replace(/\\\r?\n/g, ''));
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
  } catch {
    // fall through to the parser's own reading
  }
  return instruction.getJSONStrings().map((s) => s.getJSONValue());
}

/** COPY/ADD sources as written: the last argument is the destination; heredoc bodies are never paths. */
function copySources(instruction: JSONInstruction): { sources: string[]; heredocs: number } {
  const heredocs = heredocsOf(instruction).length;
  if (instruction.getJSONStrings().length > 0) return { sources: jsonArguments(instruction).slice(0, -1), heredocs };
  const args = instruction.getArguments();
  const firstLine = instruction.getRange().start.line;
  // With heredocs, only the instruction's own line holds sources and the destination.
  const own = heredocs > 0 ? args.filter((a) => a.getRange().start.line === firstLine) : args;
  return {
    sources: own
      .slice(0, -1)
      .map((a) => a.getValue())
      .filter((v) => !v.startsWith('<<')),
    heredocs,
  };
}

/** `key=value,key=value` options of a flag such as `--mount`. */
function flagOptions(flag: Flag): Map<string, string> {
  const options = new Map<string, string>();
  for (const part of (flag.getValue() ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) options.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    else if (part.trim()) options.set(part.trim().toLowerCase(), 'true');
  }
  return options;
}

const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@)|\.git(?:#.*)?$/i;

/** Variables in scope inside one stage, with a value when it is known before the build. */
class StageScope {
  readonly values = new Map<string, string | undefined>();

  constructor(
    private readonly globals: ReadonlyMap<string, string | undefined>,
    private readonly passed: ReadonlySet<string>,
  ) {}

  declareArg(name: string, defaultValue: string | undefined): void {
    if (this.passed.has(name)) this.values.set(name, undefined);
    else if (defaultValue !== undefined) this.values.set(name, substituteArgs(defaultValue, this.values));
    else this.values.set(name, this.globals.get(name));
  }

  setEnv(name: string, value: string | undefined): void {
    this.values.set(name, value === undefined ? undefined : substituteArgs(value, this.values));
  }
}

interface ReadsCollector extends Reads {
  stageAliases: string[];
  reference: (raw: string, values: ReadonlyMap<string, string | undefined>, at: Instruction, kind: ImageReference['instruction']) => void;
}

function isStage(source: string, aliases: string[]): boolean {
  return aliases.includes(source.toLowerCase()) || /^\d+$/.test(source);
}

/** The context reads of one COPY/ADD (or an ONBUILD trigger's), after substitution in `scope`. */
function collectCopy(instruction: JSONInstruction, scope: StageScope, out: ReadsCollector, via: ContextRead['via'], at: number): void {
  const keyword = instruction.getKeyword() as 'COPY' | 'ADD';
  const fromFlag = instruction.getFlags().find((f) => f.getName() === 'from');
  if (fromFlag) {
    const raw = fromFlag.getValue() ?? '';
    const source = substituteArgs(raw, scope.values);
    if (source === undefined) {
      out.unknown.push({ line: at, reason: `${keyword} --from=${raw} cannot be resolved before the build` });
      // Still an image reference, so the graph can say what to write instead (an ARG there is not portable).
      out.reference(raw, scope.values, instruction, 'COPY --from');
    } else if (!isStage(source, out.stageAliases)) out.reference(raw, scope.values, instruction, 'COPY --from');
    return;
  }
  const { sources } = copySources(instruction);
  for (const raw of sources) {
    if (keyword === 'ADD' && REMOTE.test(raw)) {
      out.remote.push({ line: at, source: raw });
      continue;
    }
    const path = substituteArgs(raw, scope.values);
    if (path === undefined)
      out.unknown.push({ line: at, reason: `${keyword} ${raw}: the source depends on a value known only at build time` });
    else out.context.push({ path, line: at, via: via === 'ONBUILD' ? 'ONBUILD' : keyword });
  }
}

/** The context reads of one RUN's `--mount=type=bind` flags. */
function collectRun(instruction: Run, scope: StageScope, out: ReadsCollector, via: ContextRead['via'], at: number): void {
  for (const flag of instruction.getFlags().filter((f) => f.getName() === 'mount')) {
    const options = flagOptions(flag);
    const type = options.get('type') ?? 'bind';
    if (type !== 'bind') continue;
    const from = options.get('from');
    if (from !== undefined) {
      const resolved = substituteArgs(from, scope.values);
      if (resolved === undefined) out.unknown.push({ line: at, reason: `RUN --mount from=${from} cannot be resolved before the build` });
      else if (!isStage(resolved, out.stageAliases)) out.reference(from, scope.values, instruction, 'RUN --mount');
      continue;
    }
    const raw = options.get('source') ?? options.get('src') ?? '.';
    const path = substituteArgs(raw, scope.values);
    if (path === undefined)
      out.unknown.push({ line: at, reason: `RUN --mount source=${raw}: the source depends on a value known only at build time` });
    else out.context.push({ path, line: at, via: via === 'ONBUILD' ? 'ONBUILD' : 'RUN --mount' });
  }
}

function collectTrigger(instruction: Onbuild, out: ReadsCollector, at: number): void {
  const trigger = instruction.getTriggerInstruction();
  if (!trigger) return;
  // A trigger runs in the child's build, with the child's variables: none is known here.
  const scope = new StageScope(new Map(), new Set());
  const keyword = trigger.getKeyword();
  const text = trigger.getTextContent();
  if ((keyword === 'COPY' || keyword === 'ADD' || keyword === 'RUN') && variablesIn(text).length > 0) {
    const reads = keyword === 'RUN' ? /--mount/.test(text) : !/--from/.test(text);
    if (reads) out.unknown.push({ line: at, reason: `ONBUILD ${keyword} uses variables of the child's build` });
    return;
  }
  if (trigger instanceof ast().JSONInstruction && (keyword === 'COPY' || keyword === 'ADD'))
    collectCopy(trigger, scope, out, 'ONBUILD', at);
  else if (trigger instanceof ast().Run) collectRun(trigger, scope, out, 'ONBUILD', at);
}

function emptyReads(): Reads {
  return { context: [], unknown: [], remote: [] };
}

/**
 * Parses a Dockerfile with `dockerfile-ast` into the facts the image graph and the
 * hash need: global ARGs and their defaults; the images it builds FROM or copies
 * from; what it reads from the build context (COPY/ADD sources and bind mounts after
 * ARG/ENV substitution in each stage's scope); what cannot be known before the build
 * (a source built from a value passed at build time); remote content; the reads of
 * the ONBUILD triggers it installs; and syntax that needs a recent frontend.
 * Heredoc bodies are never read as paths.
 */
export function parseDockerfile(content: string, options: ParseOptions = {}): DockerfileInfo {
  const { DockerfileParser, From, JSONInstruction, Run, Onbuild, Arg, Env } = ast();
  const dockerfile = DockerfileParser.parse(content);
  const passed = options.passedArgs ?? new Set<string>();
  const globalArgs: DockerfileArg[] = dockerfile.getInitialARGs().flatMap((arg) => {
    const property = arg.getProperty();
    if (!property) return [];
    return [{ name: property.getName(), defaultValue: property.getValue() ?? undefined, line: lineOf(arg) }];
  });
  // FROM lines see the global defaults (a parent ARG's default names the parent); inside a
  // stage, a redeclared global is unknown when the build passes its value.
  const fromGlobals = new Map<string, string | undefined>();
  const globals = new Map<string, string | undefined>();
  for (const arg of globalArgs) {
    const value = arg.defaultValue === undefined ? undefined : substituteArgs(arg.defaultValue, fromGlobals);
    fromGlobals.set(arg.name, value);
    globals.set(arg.name, passed.has(arg.name) ? undefined : value);
  }

  const imageReferences: ImageReference[] = [];
  const stageAliases: string[] = [];
  const reference = (
    raw: string,
    values: ReadonlyMap<string, string | undefined>,
    at: Instruction,
    kind: ImageReference['instruction'],
  ) => {
    imageReferences.push({ raw, resolved: substituteArgs(raw, values), args: variablesIn(raw), line: lineOf(at), instruction: kind });
  };
  const reads: ReadsCollector = { ...emptyReads(), stageAliases, reference };
  const onbuild: ReadsCollector = { ...emptyReads(), stageAliases, reference: () => undefined };

  let scope: StageScope | undefined;
  const stages: StageInfo[] = [];
  let onbuildCount = 0;
  for (const instruction of dockerfile.getInstructions()) {
    const at = lineOf(instruction);
    const stage = stages[stages.length - 1];
    if (instruction instanceof From) {
      stages.push({
        alias: instruction.getBuildStage()?.toLowerCase(),
        from: instruction.getImage() ?? '',
        instructions: 0,
        copies: [],
        mounts: [],
      });
    } else if (stage) {
      stage.instructions += 1;
      if (instruction instanceof JSONInstruction && instruction.getKeyword() === 'COPY') {
        const fromFlag = instruction.getFlags().find((f) => f.getName() === 'from');
        if (fromFlag) stage.copies.push({ from: fromFlag.getValue() ?? '', paths: copySources(instruction).sources });
      }
      if (instruction instanceof Run) {
        for (const flag of instruction.getFlags().filter((f) => f.getName() === 'mount')) {
          const from = flagOptions(flag).get('from');
          if (from) stage.mounts.push(from);
        }
      }
      if (instruction instanceof Onbuild) onbuildCount += 1;
    }
    if (instruction instanceof From) {
      const image = instruction.getImage();
      if (image && !stageAliases.includes(substituteArgs(image, fromGlobals)?.toLowerCase() ?? ''))
        reference(image, fromGlobals, instruction, 'FROM');
      const alias = instruction.getBuildStage();
      if (alias) stageAliases.push(alias.toLowerCase());
      scope = new StageScope(globals, passed);
      continue;
    }
    if (!scope) continue;
    if (instruction instanceof Arg) {
      const property = instruction.getProperty();
      if (property) scope.declareArg(property.getName(), property.getValue() ?? undefined);
    } else if (instruction instanceof Env) {
      for (const property of instruction.getProperties()) scope.setEnv(property.getName(), property.getValue() ?? undefined);
    } else if (instruction instanceof JSONInstruction && (instruction.getKeyword() === 'COPY' || instruction.getKeyword() === 'ADD')) {
      collectCopy(instruction as Copy, scope, reads, instruction.getKeyword() as 'COPY' | 'ADD', at);
    } else if (instruction instanceof Run) {
      collectRun(instruction, scope, reads, 'RUN --mount', at);
    } else if (instruction instanceof Onbuild) {
      collectTrigger(instruction, onbuild, at);
    }
  }
  const syntaxDirective = dockerfile.getDirectives().find((d) => d.getName().toLowerCase() === 'syntax');
  const syntax = syntaxDirective ? { value: syntaxDirective.getValue(), line: syntaxDirective.getRange().start.line + 1 } : undefined;
  return {
    globalArgs,
    imageReferences,
    reads: { context: reads.context, unknown: reads.unknown, remote: reads.remote },
    onbuild: { context: onbuild.context, unknown: onbuild.unknown, remote: onbuild.remote },
    stageAliases,
    buildkitFeatures: dockerfile.getInstructions().flatMap(buildkitFeaturesOf),
    syntax,
    empty: dockerfile.getFROMs().length === 0,
    stages,
    onbuildCount,
  };
}

/**
 * The paths a Dockerfile copies from the image its ARG `arg` names, when that is all it
 * takes from it: every stage built FROM `${arg}` is empty and only `COPY --from`'d, no
 * stage builds on it, the last stage is not it, no RUN mounts it, and every path is
 * literal. Then the build depends on that parent only through the content of these
 * paths. Undefined otherwise (the parent is a full dependency).
 */
export function copyOnlyPaths(info: DockerfileInfo, arg: string): string[] | undefined {
  const names = new Set([`\${${arg}}`, `$${arg}`]);
  const parentStages = info.stages.filter((s) => names.has(s.from));
  const last = info.stages[info.stages.length - 1];
  if (!last || names.has(last.from)) return undefined;
  if (parentStages.some((s) => s.instructions > 0 || !s.alias)) return undefined;
  const sources = new Set([...names, ...parentStages.map((s) => s.alias as string)]);
  if (info.stages.some((s) => sources.has(s.from.toLowerCase()) && !names.has(s.from))) return undefined;
  if (info.stages.some((s) => s.mounts.some((m) => sources.has(m.toLowerCase()) || names.has(m)))) return undefined;
  const paths = info.stages.flatMap((s) =>
    s.copies.filter((c) => sources.has(c.from.toLowerCase()) || names.has(c.from)).flatMap((c) => c.paths),
  );
  if (paths.length === 0 || paths.some((p) => !p.startsWith('/') || /[$*?[\\]/.test(p))) return undefined;
  return [...new Set(paths.map((p) => p.replace(/\/+$/, '') || '/'))].sort();
}
