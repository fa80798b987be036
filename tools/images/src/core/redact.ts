/**
 * Credentials never leave the plugin in a message, a record or a summary: this is the
 * one place that masks them.
 * - `scheme://user:password@host` and `user:password@host` lose the user info;
 * - `password=…`, `token=…`, `secret=…`, `api_key=…` (and `:` forms) lose the value;
 * - `Bearer …` / `Basic …` authorization values and well-known token shapes (GitHub,
 *   GitLab, npm, AWS access keys, JWTs) are masked whole.
 */
const RULES: [RegExp, string][] = [
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, '$1***@'],
  [/(^|[\s"'=(,])[^\s/@:"'=(,]+:[^\s/@"']+@(?=[a-z0-9.-]+(?::\d+)?(?:[/\s"']|$))/gi, '$1***@'],
  [/\b((?:pass(?:word|wd)?|pwd|token|secret|api[_-]?key|access[_-]?key|auth)\s*[=:]\s*)("?)[^\s"',;&]+/gi, '$1$2***'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ***'],
  [/\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}\b/g, '***'],
  [/\bglpat-[A-Za-z0-9_-]{20,}\b/g, '***'],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, '***'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '***'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, '***'],
];

/** The text with every credential it holds masked. */
export function redact(text: string): string {
  return RULES.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
