/** Options of `nx g @ffreis/nx-images:image` (its contract: schema.json beside this file). */
export interface ImageGeneratorOptions {
  /** images/<name>/Dockerfile; folders allowed (`team/api`). */
  name: string;
  /** A child: the workspace image it is built FROM. */
  parent?: string;
  /** A root: the upstream it is built FROM, `<image>@sha256:<digest>`. */
  from?: string;
  /** Words Nx found after the name (`nx g …:image my image`): refused, never dropped. */
  _?: string[];
}
