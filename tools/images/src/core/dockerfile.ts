import { Copy, DockerfileParser, JSONInstruction, ModifiableInstruction, Run, type Instruction } from 'dockerfile-ast';

/** A global `ARG` (declared before the first FROM), with its default when it has one. */
export interface DockerfileArg {
  name: string;
  defaultValue?: string;
  line: number;
}

/** An image reference found in a FROM or `COPY --from`, after ARG defaults are substituted. */
export interface ImageReference {
  /** The reference as written, e.g. `${BASE_IMAGE}`. */
  raw: string;
  /** With global ARG defaults substituted; undefined when an ARG it uses has no default. */
  resolved?: string;
  /** Global ARGs the reference uses. */
  args: string[];
  /** 1-based line of the instruction. */
  line: number;
  instruction: 'FROM' | 'COPY --from';
}

/** A path a COPY/ADD takes from the build context (not from a stage or an image). */
export interface ContextSource {
  path: string;
  line: number;
}

/** What the plugin needs to know of one Dockerfile: pure data. */
export interface DockerfileInfo {
  globalArgs: DockerfileArg[];
  /** External or workspace images the Dockerfile builds FROM or copies from (stage aliases excluded). */
  imageReferences: ImageReference[];
  contextSources: ContextSource[];
  /** Stage aliases (`FROM x AS alias`). */
  stageAliases: string[];
  /** Syntax only BuildKit (or a recent Buildah) understands, e.g. `RUN --mount`, heredocs. */
  buildkitFeatures: BuildkitFeature[];
}

/** One use of BuildKit-only syntax. */
export interface BuildkitFeature {
  feature: string;
  line: number;
}

const BUILDKIT_FLAGS: Record<string, string[]> = { RUN: ['mount', 'network', 'security'], COPY: ['link', 'chmod', 'parents', 'exclude'], ADD: ['link', 'chmod', 'checksum', 'keep-git-dir', 'exclude'] };

function buildkitFeaturesOf(instruction: Instruction): BuildkitFeature[] {
  const keyword = instruction.getKeyword();
  const features: BuildkitFeature[] = [];
  const flags = instruction instanceof ModifiableInstruction ? instruction.getFlags().map((f) => f.getName()) : [];
  for (const flag of flags) {
    if (BUILDKIT_FLAGS[keyword]?.includes(flag)) features.push({ feature: `${keyword} --${flag}`, line: line(instruction) });
  }
  if ((instruction instanceof Run || instruction instanceof Copy) && instruction.getHeredocs().length > 0) {
    features.push({ feature: `${keyword} with a heredoc`, line: line(instruction) });
  }
  return features;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Substitutes `$VAR` / `${VAR}` / `${VAR:-default}` with the given values.
 * Returns undefined when a variable has no value and no inline default.
 */
export function substituteArgs(text: string, values: ReadonlyMap<string, string | undefined>): string | undefined {
  let unresolved = false;
  const result = text.replace(VARIABLE, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = values.get(name);
    if (value !== undefined && value !== '') return value;
    const inline = /^\$\{[A-Za-z0-9_]+:?-(.*)\}$/.exec(whole);
    if (inline) return inline[1];
    unresolved = true;
    return whole;
  });
  return unresolved ? undefined : result;
}

/** Names of the variables a text uses. */
export function variablesIn(text: string): string[] {
  return [...text.matchAll(VARIABLE)].map((m) => (m[1] ?? m[2]) as string);
}

function line(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

/** Exec-form arguments; parsed with JSON.parse because dockerfile-ast's getJSONValue drops spaces. */
function jsonArguments(instruction: JSONInstruction): string[] {
  const json = instruction.getJSONStrings();
  const raw = instruction.getRawArgumentsContent() ?? '';
  try {
    const parsed: unknown = JSON.parse(raw.slice(raw.indexOf('[')).replace(/\\\r?\n/g, ''));
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
  } catch {
    // fall through to the parser's own reading
  }
  return json.map((s) => s.getJSONValue());
}

function copySources(instruction: JSONInstruction): string[] {
  const values = instruction.getJSONStrings().length > 0 ? jsonArguments(instruction) : instruction.getArguments().map((a) => a.getValue());
  return values.slice(0, -1);
}

/**
 * Parses a Dockerfile with `dockerfile-ast` into the facts the image graph needs:
 * global ARGs and their defaults, the images it builds FROM or copies from, and
 * the build-context paths its COPY/ADD instructions read.
 */
export function parseDockerfile(content: string): DockerfileInfo {
  const dockerfile = DockerfileParser.parse(content);
  const globalArgs: DockerfileArg[] = dockerfile.getInitialARGs().flatMap((arg) => {
    const property = arg.getProperty();
    if (!property) return [];
    return [{ name: property.getName(), defaultValue: property.getValue() ?? undefined, line: line(arg) }];
  });
  const values = new Map(globalArgs.map((a) => [a.name, a.defaultValue]));
  const stageAliases: string[] = [];
  const imageReferences: ImageReference[] = [];
  const contextSources: ContextSource[] = [];

  const reference = (raw: string, at: Instruction, instruction: ImageReference['instruction']) => {
    imageReferences.push({ raw, resolved: substituteArgs(raw, values), args: variablesIn(raw), line: line(at), instruction });
  };

  for (const from of dockerfile.getFROMs()) {
    const image = from.getImage();
    if (image && !stageAliases.includes(image.toLowerCase())) reference(image, from, 'FROM');
    const alias = from.getBuildStage();
    if (alias) stageAliases.push(alias.toLowerCase());
  }
  for (const instruction of dockerfile.getInstructions()) {
    if (!(instruction instanceof JSONInstruction)) continue;
    const keyword = instruction.getKeyword();
    if (keyword !== 'COPY' && keyword !== 'ADD') continue;
    const fromFlag = instruction.getFlags().find((f) => f.getName() === 'from');
    if (fromFlag) {
      const source = fromFlag.getValue() ?? '';
      if (source && !stageAliases.includes(source.toLowerCase()) && !/^\d+$/.test(source)) {
        reference(source, instruction, 'COPY --from');
      }
      continue;
    }
    for (const source of copySources(instruction)) {
      if (/^[a-z]+:\/\//i.test(source) || source.startsWith('<<')) continue;
      contextSources.push({ path: substituteArgs(source, values) ?? source, line: line(instruction) });
    }
  }
  const buildkitFeatures = dockerfile.getInstructions().flatMap(buildkitFeaturesOf);
  return { globalArgs, imageReferences, contextSources, stageAliases, buildkitFeatures };
}
