import type { Digests } from './digests';
import type { StageInfo } from './dockerfile';

/** The OCI annotation keys this plugin writes as image labels (opencontainers image-spec, annotations.md). */
export const OCI = {
  title: 'org.opencontainers.image.title',
  description: 'org.opencontainers.image.description',
  source: 'org.opencontainers.image.source',
  licenses: 'org.opencontainers.image.licenses',
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
} as const;

/** What an image's labels are made of: inputs of its hash only, so the hash stays the image's identity. */
export interface LabelInputs {
  name: string;
  /** The Dockerfile's text: its first comment line describes the image. */
  dockerfile: string;
  stages: StageInfo[];
  /** The stage built (`--target`); default the last. */
  target?: string;
  /** The pin, for an image built from it. */
  digests?: Digests;
  /** Workspace parents: the build ARG naming each and its exact (hash-tagged) ref. */
  parents: { arg: string; ref: string }[];
  /** Labels from the workspace: package.json's repository and license, then the plugin option `labels`. */
  workspace?: Record<string, string>;
}

/**
 * The first comment line of the Dockerfile, without a leading "<name>:" (the images here
 * open with "# base-runner: the Python runtime only …"). Parser directives are skipped.
 */
export function dockerfileDescription(text: string, name: string): string | undefined {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('#')) return undefined;
    const comment = trimmed.replace(/^#\s*/, '');
    if (/^(syntax|escape|check)\s*=/i.test(comment) || comment === '') continue;
    const own = comment.toLowerCase().startsWith(`${name.toLowerCase()}:`) ? comment.slice(name.length + 1).trim() : comment;
    return own || undefined;
  }
  return undefined;
}

/** The FROM of the stage the build ends in, following stage aliases to the image it starts from. */
export function finalFrom(stages: StageInfo[], target?: string): string | undefined {
  let stage = target ? stages.find((s) => s.alias === target.toLowerCase()) : stages[stages.length - 1];
  for (let hops = 0; stage && hops < stages.length; hops++) {
    const from = stage.from.toLowerCase();
    const earlier = stages.find((s) => s.alias === from);
    if (!earlier) return stage.from;
    stage = earlier;
  }
  return stage?.from;
}

/** Labels from a workspace's package.json: `repository` as the source (a git URL made browsable), `license`. */
export function packageLabels(manifest: { repository?: string | { url?: string }; license?: string } | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  const repository = typeof manifest?.repository === 'string' ? manifest.repository : manifest?.repository?.url;
  if (repository) {
    const github = /^github:(.+)$/.exec(repository);
    labels[OCI.source] = github ? `https://github.com/${github[1]}` : repository.replace(/^git\+/, '').replace(/\.git$/, '');
  }
  if (manifest?.license && manifest.license !== 'UNLICENSED') labels[OCI.licenses] = manifest.license;
  return labels;
}

/**
 * The OCI labels of one image: title, description, what it is based on, and the workspace's
 * source and licenses. An image built FROM a workspace parent names that parent's exact ref
 * and clears the inherited base digest (the parent's own build decides it, not an input).
 */
export function ociLabels(input: LabelInputs): Record<string, string> {
  const labels: Record<string, string> = { ...input.workspace, [OCI.title]: input.name };
  const description = dockerfileDescription(input.dockerfile, input.name);
  // Always set, so an image never shows its parent's description.
  labels[OCI.description] = description ?? '';
  const from = finalFrom(input.stages, input.target) ?? '';
  const parent = input.parents.find((p) => from.includes(`\${${p.arg}}`) || from === `$${p.arg}`);
  if (parent) {
    labels[OCI.baseName] = parent.ref;
    labels[OCI.baseDigest] = '';
  } else if (input.digests && /\$\{?BASE_(IMAGE|DIGEST)\b/.test(from)) {
    labels[OCI.baseName] = input.digests.BASE_IMAGE;
    labels[OCI.baseDigest] = input.digests.BASE_DIGEST;
  } else if (/@sha256:[0-9a-f]{64}$/.test(from)) {
    labels[OCI.baseName] = from.slice(0, from.lastIndexOf('@'));
    labels[OCI.baseDigest] = from.slice(from.lastIndexOf('@') + 1);
  }
  return labels;
}
