import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { pinnedReference, type Digests } from './digests';
import { lineOf, parseDockerfile } from './dockerfile';
import { splitImageRef, workspaceImageName } from './naming';

/** One finding, printed `file:line: rule: message`. */
export interface LintFinding {
  file: string;
  line: number;
  rule: string;
  severity: 'error' | 'warning';
  message: string;
}

/** What the rules need to know beyond the Dockerfile's text. */
export interface LintContext {
  file: string;
  prefix: string;
  /** The image whose final USER must not be root (the runner). */
  isRunImage: boolean;
  /** The pin the digests file supplies to `${BASE_IMAGE}@${BASE_DIGEST}`, when this image uses it. */
  digests?: Digests;
}

const DIGEST_ARGS = /^\$\{?BASE_IMAGE\}?@\$\{?BASE_DIGEST\}?$/;
const APT_INSTALL = /\bapt(-get)?\s+(update|install|upgrade|dist-upgrade)\b/;
const APT_CLEANUP = /rm\s+-[a-z]*r[a-z]*f?[a-z]*\s+[^;&|]*\/var\/lib\/apt\/lists/;

function finalUser(dockerfile: Dockerfile): { user?: string; line: number } {
  const froms = dockerfile.getFROMs();
  const lastFrom = froms[froms.length - 1];
  const start = lastFrom ? lastFrom.getRange().start.line : 0;
  const users = dockerfile.getInstructions().filter((i) => i.getKeyword() === 'USER' && i.getRange().start.line > start);
  const last = users[users.length - 1];
  return last ? { user: last.getArgumentsContent() ?? '', line: lineOf(last) } : { line: lastFrom ? lineOf(lastFrom) : 1 };
}

/**
 * Lints one Dockerfile: the diagnostics of `dockerfile-utils`, then our rules —
 * an external FROM is pinned by digest (directly or through the digests file), no
 * external image floats on `:latest`, the runner does not end as root, and apt
 * lists are removed in the layer that created them.
 */
export function lintDockerfile(content: string, context: LintContext): LintFinding[] {
  const { file } = context;
  const dockerfile = DockerfileParser.parse(content);
  const findings: LintFinding[] = validate(content).map((d) => ({
    file,
    line: d.range.start.line + 1,
    rule: `dockerfile-utils/${d.code ?? 'diagnostic'}`,
    severity: d.severity === 1 ? 'error' : 'warning',
    message: typeof d.message === 'string' ? d.message : d.message.value,
  }));
  const info = parseDockerfile(content);
  const parentArgs = new Set(
    info.globalArgs.filter((a) => a.defaultValue && workspaceImageName(a.defaultValue, context.prefix)).map((a) => a.name),
  );
  if (info.syntax && !/@sha256:[0-9a-f]{64}$/.test(info.syntax.value)) {
    findings.push({
      file,
      line: info.syntax.line,
      rule: 'pinned-digest',
      severity: 'error',
      message:
        `# syntax=${info.syntax.value} is not pinned by digest: the frontend parses this Dockerfile, so pin it ` +
        `(docker/dockerfile:1.7@sha256:…), or drop the directive.`,
    });
  }
  for (const ref of info.imageReferences) {
    if (ref.args.some((a) => parentArgs.has(a))) continue;
    if (ref.resolved?.toLowerCase() === 'scratch') continue;
    const image = DIGEST_ARGS.test(ref.raw) && context.digests ? pinnedReference(context.digests) : ref.resolved;
    if (!image) {
      findings.push({
        file,
        line: ref.line,
        rule: 'pinned-digest',
        severity: 'error',
        message:
          `${ref.instruction} ${ref.raw} cannot be resolved to a pinned image: give its ARGs defaults with @sha256:…, or ` +
          `use \${BASE_IMAGE}@\${BASE_DIGEST} from the digests file.`,
      });
      continue;
    }
    const { tag, digest } = splitImageRef(image);
    if (!digest) {
      findings.push({
        file,
        line: ref.line,
        rule: 'pinned-digest',
        severity: 'error',
        message: `${ref.instruction} ${image} is not pinned by digest: write it as name:tag@sha256:…, or take it from the digests file.`,
      });
    }
    if (!tag || tag === 'latest') {
      findings.push({
        file,
        line: ref.line,
        rule: 'no-latest',
        severity: 'error',
        message:
          `${ref.instruction} ${image} ${tag ? 'uses :latest' : 'has no tag (so :latest)'}: name a versioned tag so the ` +
          `pin can be updated meaningfully.`,
      });
    }
  }
  if (context.isRunImage) {
    const { user, line } = finalUser(dockerfile);
    if (!user || /^(root|0)(:|$)/.test(user.trim())) {
      findings.push({
        file,
        line,
        rule: 'runner-user',
        severity: 'error',
        message: user
          ? `the final USER is ${user}: the runner must not run as root; end with USER 10001:10001.`
          : 'the final stage sets no USER, so it may run as root: end with USER 10001:10001.',
      });
    }
  }
  for (const run of dockerfile.getInstructions().filter((i) => i.getKeyword() === 'RUN')) {
    const text = run.getArgumentsContent() ?? '';
    if (APT_INSTALL.test(text) && !APT_CLEANUP.test(text)) {
      findings.push({
        file,
        line: lineOf(run),
        rule: 'apt-lists',
        severity: 'error',
        message:
          'this RUN uses apt but does not remove /var/lib/apt/lists in the same layer: end it with `&& rm -rf /var/lib/apt/lists/*`.',
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

/** `file:line: rule: message`, one per finding. */
export function formatFindings(findings: LintFinding[]): string {
  return findings.map((f) => `${f.file}:${f.line}: ${f.rule}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`).join('\n');
}
