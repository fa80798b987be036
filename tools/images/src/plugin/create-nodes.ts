import type { CreateNodes, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { logger, servesOneRun } from '../nx/runtime';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ImageError } from '../core/errors';
import { imageNameFromPath } from '../core/naming';
import { createImageInputs, EXECUTOR_PACKAGES, type InputSettings } from '../core/inputs';
import type { ImageGraph, ImageNode } from '../core/image-graph';
import { packageLabels } from '../core/oci-labels';
import { BUILD_RECIPE } from '../core/recipe';
import { hostPlatform } from '../core/platforms';
import { normalizePluginOptions, type ImagesPluginOptions, type NormalizedPluginOptions } from '../core/options';
import type { BuildTargetOptions } from '../core/build-options';
import { prefetchEngineView } from '../engines/view';
import { DOCKERFILE_GLOB, loadImageGraph, pluginRootIn, readInputSettings } from './load-graph';
import { PLUGIN_PACKAGE } from './package-name';
import { rememberShapes } from './shapes';
import { SBOM_FILE } from '../records/attachments';

const EXECUTORS = PLUGIN_PACKAGE;
/** The build target's command: the plugin package's guard script, resolved from the workspace's node_modules. */
const BUILD_SCRIPT = `node_modules/${PLUGIN_PACKAGE}/bin/build.sh`;

/** The declarative checks of an image, next to its Dockerfile. */
export const IMAGE_SPEC = 'image-test.json';

/**
 * Pure: the targets of one image project. `build` (never cached: it asks the engine)
 * depends on the parents' `build`; `lint` and `test` (when `specFile` is given) are
 * cached; `push` and `clean` act on the engine and registry; the run image also gets
 * `run`, and the image built from the pinned upstream gets `update-digest`.
 */
export function createImageTargets(
  node: ImageNode,
  graph: ImageGraph,
  options: NormalizedPluginOptions,
  settings: InputSettings,
  context: { workspaceRoot: string },
  specFile?: string,
  shapes?: Map<string, string>,
): Record<string, TargetConfiguration> {
  const common = { prefix: options.prefix, name: node.name, outputDir: options.outputDir, engine: options.engine, client: options.client };
  const build: BuildTargetOptions = {
    ...common,
    dockerfile: node.dockerfile,
    context: options.context,
    parents: node.parents.map(({ name, arg }) => ({ name, arg })),
    digestsFile: node.usesPin ? options.digestsFile : undefined,
    network: options.network,
    registry: options.registry,
    registryBestEffort: options.registryBestEffort,
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(node.exports.length > 0 ? { exports: node.exports } : {}),
    ...(options.labels && Object.keys(options.labels).length > 0 ? { labels: options.labels } : {}),
    ...(options.platforms?.length ? { platforms: options.platforms } : {}),
  };
  const { inputs: buildInputs, wholeContext, alwaysBuild, copied, shape, droppedRead } = createImageInputs(graph, node.name, settings);
  shapes?.set(node.name, shape);
  if (droppedRead) return brokenTargets(new ImageError('DOCKERFILE_INVALID', droppedRead));
  if (alwaysBuild) build.alwaysBuild = alwaysBuild;
  if (copied.length > 0) build.copies = copied;
  const pluginRoot = pluginRootIn(context.workspaceRoot);
  const plugin = `{workspaceRoot}/${pluginRoot}`;
  // In this repository the executors' sources are inputs; installed from npm (no sources in the
  // workspace, node_modules unhashed), the package's version is.
  const fromSources = !pluginRoot.split('/').includes('node_modules');
  const installed = fromSources ? [] : [PLUGIN_PACKAGE];
  const hashNote = alwaysBuild
    ? ` Always handed to the engine (its layer cache decides), never "present": ${alwaysBuild}.`
    : wholeContext
      ? ` Hashes the whole build context (minus .dockerignore), because ${wholeContext}.`
      : ' Hashes exactly the files its Dockerfiles read (minus .dockerignore).';
  const targets: Record<string, TargetConfiguration> = {
    build: {
      // Runs inside Nx's own process; bin/build.sh answers a present image with one engine
      // query and hands anything else to the full program (see bin/build.sh).
      executor: 'nx:run-commands',
      options: {
        // `exec`: the shell Nx starts for the command becomes the script, with no second fork.
        command: `exec sh ${BUILD_SCRIPT}`,
        env: {
          NX_IMAGES_NAME: node.name,
          NX_IMAGES_REPOSITORY: `${options.prefix}/${node.name}`,
          NX_IMAGES_ENGINE: options.engine,
          NX_IMAGES_CLIENT: options.client ?? '',
          NX_IMAGES_RECORDS: posix.join(options.outputDir, node.name),
          NX_IMAGES_DOCKERFILE: node.dockerfile,
          // These options are hashed: the recipe stands for the plugin's own code (core/recipe.ts).
          NX_IMAGES_RECIPE: String(BUILD_RECIPE),
          ...(alwaysBuild ? { NX_IMAGES_ALWAYS_BUILD: alwaysBuild } : {}),
          ...(node.exports.length > 0 ? { NX_IMAGES_EXPORTS: node.exports.join(' ') } : {}),
          ...(copied.length > 0 ? { NX_IMAGES_COPIES: copied.join(' ') } : {}),
          ...(options.platforms?.length ? { NX_IMAGES_PLATFORMS: options.platforms.join(',') } : {}),
          // The machine's own platform is part of the hash (these options are hashed): an image built
          // on arm64 never takes the tag of one built on amd64 in a shared registry.
          NX_IMAGES_HOST_PLATFORM: hostPlatform(),
          NX_IMAGES_BUILD: JSON.stringify(build),
        },
      },
      // What children that only copy out of this image hash instead of its inputs.
      ...(node.exports.length > 0 ? { outputs: [`{workspaceRoot}/${posix.join(options.outputDir, node.name, 'exports.json')}`] } : {}),
      inputs: buildInputs,
      dependsOn: ['^build'],
      cache: false,
      metadata: {
        technologies: ['docker'],
        description:
          `Build ${options.prefix}/${node.name} from ${node.dockerfile}, tagged with the Nx hash (skipped when that ` +
          `tag is present) and moved to :latest.${hashNote}`,
      },
    },
    lint: {
      executor: `${EXECUTORS}:lint`,
      options: {
        name: node.name,
        prefix: options.prefix,
        dockerfile: node.dockerfile,
        digestsFile: build.digestsFile,
        isRunImage: node.name === options.runImage,
      },
      inputs: [
        `{workspaceRoot}/${node.dockerfile}`,
        ...(build.digestsFile ? [`{workspaceRoot}/${build.digestsFile}`] : []),
        ...(fromSources ? ['core/lint.ts', 'core/dockerfile.ts', 'executors/lint/executor.ts'].map((f) => `${plugin}/src/${f}`) : []),
        { externalDependencies: [...EXECUTOR_PACKAGES, 'dockerfile-utils', ...installed] },
      ],
      cache: true,
      metadata: {
        technologies: ['docker'],
        description:
          `Lint ${node.dockerfile}: dockerfile-utils diagnostics plus pinned digests, no :latest, non-root runner, ` + 'apt lists removed.',
      },
    },
    clean: {
      executor: `${EXECUTORS}:clean`,
      options: common,
      cache: false,
      metadata: {
        technologies: ['docker'],
        description: `Remove every tag of ${options.prefix}/${node.name} from the engine and its metadata (make clean-${node.name}).`,
      },
    },
    sbom: {
      executor: `${EXECUTORS}:sbom`,
      options: common,
      dependsOn: ['build'],
      cache: false,
      metadata: {
        technologies: ['docker'],
        description:
          `Write the CycloneDX SBOM of ${options.prefix}/${node.name} (its Debian packages, the app's requirements lock) to ` +
          `${posix.join(options.outputDir, node.name, SBOM_FILE)}; push carries it as <hash tag>.sbom.`,
      },
    },
  };
  if (specFile) {
    targets.test = {
      executor: `${EXECUTORS}:test`,
      options: { ...common, spec: specFile },
      inputs: [
        ...buildInputs.filter((input) => typeof input === 'string' || !('externalDependencies' in input)),
        `{workspaceRoot}/${specFile}`,
        ...(fromSources ? [`${plugin}/image-test.schema.json`] : []),
        { externalDependencies: [...EXECUTOR_PACKAGES, 'ajv', ...installed] },
      ],
      dependsOn: ['build'],
      cache: true,
      metadata: {
        technologies: ['docker'],
        description: `Run the checks of ${specFile} against ${options.prefix}/${node.name} (cached per image hash).`,
      },
    };
  }
  targets.push = {
    executor: `${EXECUTORS}:push`,
    options: { ...common, registry: options.registry },
    dependsOn: ['build'],
    cache: false,
    metadata: {
      technologies: ['docker'],
      description:
        `Push ${options.prefix}/${node.name}'s hash tag to the registry (IMAGE_REGISTRY); ` + '--tags=latest,… pushes moving tags too.',
    },
  };
  if (build.digestsFile) {
    targets['update-digest'] = {
      executor: `${EXECUTORS}:update-digest`,
      options: { name: node.name, digestsFile: build.digestsFile },
      cache: false,
      metadata: {
        technologies: ['docker'],
        description:
          `Move BASE_DIGEST in ${build.digestsFile} to the digest BASE_IMAGE's tag points at now; ` + '--check only reports a stale pin.',
      },
    };
  }
  if (node.name === options.runImage) {
    targets.run = {
      executor: `${EXECUTORS}:run`,
      options: common,
      dependsOn: ['build'],
      cache: false,
      metadata: {
        technologies: ['docker'],
        description: `Build, then run the app in ${options.prefix}/${node.name} (make run-app). Extra args go to the app.`,
      },
    };
  }
  return notContinuous(targets);
}

/**
 * Says `continuous: false` on each target. Without it Nx reads the executor's schema to learn
 * that while it normalizes the graph, and for a plugin that resolves into the workspace (an npm
 * workspace link) that loads TypeScript to read the root tsconfig: about 0.5 s on every run
 * without the daemon. None of these targets is continuous (none keeps running for its dependents).
 */
function notContinuous(targets: Record<string, TargetConfiguration>): Record<string, TargetConfiguration> {
  for (const target of Object.values(targets)) target.continuous ??= false;
  return targets;
}

/** Targets of an image the graph cannot take: each fails with the error, so the rest of the workspace keeps working. */
function brokenTargets(error: ImageError): Record<string, TargetConfiguration> {
  const fail: TargetConfiguration = {
    executor: 'nx:run-commands',
    options: { command: 'printf "%s\\n" "$NX_IMAGES_ERROR" >&2; exit 1', env: { NX_IMAGES_ERROR: `${error.message} [${error.code}]` } },
    cache: false,
    metadata: { technologies: ['docker'], description: `Fails: ${error.message.split('\n')[0]}` },
  };
  return notContinuous({ build: { ...fail, dependsOn: ['^build'] }, lint: { ...fail } });
}

/** The labels every image gets from the workspace: the root package.json's, then the plugin option's. */
function withWorkspaceLabels(options: NormalizedPluginOptions, workspaceRoot: string): NormalizedPluginOptions {
  let manifest: Parameters<typeof packageLabels>[0];
  try {
    manifest = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
  } catch {
    manifest = undefined;
  }
  const labels = { ...packageLabels(manifest), ...options.labels };
  return Object.keys(labels).length > 0 ? { ...options, labels } : options;
}

/** The images' names from their Dockerfiles' paths (those that name none are left to the graph's errors). */
function imageNames(dockerfiles: readonly string[]): string[] {
  return dockerfiles.flatMap((file) => {
    try {
      return [imageNameFromPath(file)];
    } catch {
      return [];
    }
  });
}

/**
 * Infers one project per Dockerfile (or Containerfile) under `images/`, named after its
 * folder's path (`images/team/service/Dockerfile` → `team-service`).
 */
export const createNodes: CreateNodes<ImagesPluginOptions> = [
  DOCKERFILE_GLOB,
  (dockerfiles, rawOptions, context) => {
    // The run's engine listing starts now, beside the graph work; the run's hook takes it.
    prefetchEngineView(rawOptions, servesOneRun(), imageNames(dockerfiles));
    const options = withWorkspaceLabels(normalizePluginOptions(rawOptions), context.workspaceRoot);
    const graph = loadImageGraph(context.workspaceRoot, dockerfiles, options.prefix);
    const settingsFor = readInputSettings(context.workspaceRoot, options);
    // Each image's shape, for this run's pre-tasks hook (plugin/shapes.ts): computed here anyway.
    const shapes = new Map<string, string>();
    rememberShapes(context.workspaceRoot, shapes);
    const broken = [...graph.broken].map(([name, { dockerfile, error }]) => {
      logger.warn(`${PLUGIN_PACKAGE}: image "${name}" cannot be built: ${error.message.split('\n')[0]}`);
      const root = posix.dirname(dockerfile);
      const result: CreateNodesResult = {
        projects: { [root]: { name, root, projectType: 'application', tags: ['type:image'], targets: brokenTargets(error) } },
      };
      return [dockerfile, result] as const;
    });
    return [
      ...broken,
      ...[...graph.nodes.values()].map((node) => {
        const root = posix.dirname(node.dockerfile);
        const spec = `${root}/${IMAGE_SPEC}`;
        const targets = createImageTargets(
          node,
          graph,
          options,
          settingsFor(node.dockerfile),
          context,
          existsSync(join(context.workspaceRoot, spec)) ? spec : undefined,
          shapes,
        );
        const result: CreateNodesResult = {
          projects: {
            [root]: {
              name: node.name,
              root,
              projectType: 'application',
              tags: ['type:image'],
              targets,
              metadata: { targetGroups: { Image: Object.keys(targets) } },
            },
          },
        };
        return [node.dockerfile, result] as const;
      }),
    ];
  },
];
