import type { NormalizedPluginOptions } from './options';

/** Options the build executor receives from the inferred target (its contract: schema.json beside this file). */
export interface BuildTargetOptions {
  name: string;
  prefix: string;
  dockerfile: string;
  context: string;
  outputDir: string;
  parents: { name: string; arg: string }[];
  /** Workspace-relative digests file, set for images built from the pinned upstream. */
  digestsFile?: string;
  /** Stage to build (`--target`) in a multi-stage Dockerfile; set it in the project's project.json. Default: the last stage. */
  target?: string;
  /** Set (to the reason) when the hash cannot cover what the build reads: the image is always handed to the engine. */
  alwaysBuild?: string;
  /** Paths children only copy out of this image: their digests go to `exports.json`, which those children hash. */
  exports?: string[];
  /** Parents it only copies from (its own or its ancestors'): it is hashed on what they export. */
  copies?: string[];
  engine: NormalizedPluginOptions['engine'];
  client?: string;
  network?: string;
  registry?: string;
  registryBestEffort?: boolean;
  /** Build secrets by id → file (see the plugin option `secrets`); IMAGE_BUILD_SECRETS adds to them. */
  secrets?: Record<string, string>;
  /** Labels from the workspace (package.json, the plugin option `labels`); the OCI ones are added at build time. */
  labels?: Record<string, string>;
  /** Platforms to build for (the plugin option, or the project's own `--platforms=linux/amd64,linux/arm64`); IMAGE_PLATFORMS wins. */
  platforms?: string[] | string;
}
