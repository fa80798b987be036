import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFindings, lintDockerfile } from '../../core/lint';
import { loadDigests } from '../../io/load-digests';
import { reportFailure } from '../report';

export interface LintTargetOptions {
  name: string;
  prefix: string;
  dockerfile: string;
  /** Set for images built from the pinned upstream. */
  digestsFile?: string;
  /** True for the runner: its final USER must not be root. */
  isRunImage?: boolean;
}

/** Lints one image's Dockerfile; non-zero exit on any error (warnings print only). */
export default async function lintExecutor(options: LintTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const digests = options.digestsFile ? loadDigests(context.root, options.digestsFile, {}) : undefined;
    const content = readFileSync(join(context.root, options.dockerfile), 'utf8');
    const findings = lintDockerfile(content, {
      file: options.dockerfile,
      prefix: options.prefix,
      isRunImage: Boolean(options.isRunImage),
      digests,
    });
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (findings.length > 0) console.log(formatFindings(findings));
    console.log(`${options.name}: ${options.dockerfile}: ${errors} error(s), ${findings.length - errors} warning(s)`);
    return { success: errors === 0 };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
