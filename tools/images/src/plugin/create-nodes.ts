import type { CreateNodes, TargetConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createImageInputs, EXECUTOR_PACKAGES, type InputSettings } from '../core/inputs';
import type { ImageGraph, ImageNode } from '../core/image-graph';
import { normalizePluginOptions, type ImagesPluginOptions, type NormalizedPluginOptions } from '../core/options';
import { DOCKERFILE_GLOB, loadImageGraph, readInputSettings } from './load-graph';

const EXECUTORS = '@ffreis/nx-images';

/** The declarative checks of an image, next to its Dockerfile. */
export const IMAGE_SPEC = 'image-test.json';

/** Options the build executor receives from the inferred target (see executors/build/schema.json). */
export interface BuildTargetOptions {
  name: string;
  prefix: string;
  dockerfile: string;
  context: string;
  outputDir: string;
  parents: { name: string; arg: string }[];
  /** Workspace-relative digests file, set for images built from the pinned upstream. */
  digestsFile?: string;
  engine: NormalizedPluginOptions['engine'];
  client?: string;
  network?: string;
  registry?: string;
  registryBestEffort?: boolean;
}

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
  specFile?: string,
): Record<string, TargetConfiguration> {
  const common = { prefix: options.prefix, name: node.name, outputDir: options.outputDir, engine: options.engine, client: options.client };
  const build: BuildTargetOptions = {
    ...common,
    dockerfile: node.dockerfile,
    context: options.context,
    parents: node.parents.map(({ name, arg }) => ({ name, arg })),
    digestsFile: node.externalReferences.length > 0 ? options.digestsFile : undefined,
    network: options.network,
    registry: options.registry,
    registryBestEffort: options.registryBestEffort,
  };
  const buildInputs = createImageInputs(graph, node.name, settings);
  const plugin = `{workspaceRoot}/${settings.pluginRoot}`;
  const targets: Record<string, TargetConfiguration> = {
    build: {
      executor: `${EXECUTORS}:build`,
      options: build,
      inputs: buildInputs,
      dependsOn: ['^build'],
      cache: false,
      metadata: {
        technologies: ['docker'],
        description: `Build ${options.prefix}/${node.name} from ${node.dockerfile}, tagged with the Nx hash (skipped when that tag is present) and moved to :latest.`,
      },
    },
    lint: {
      executor: `${EXECUTORS}:lint`,
      options: { name: node.name, prefix: options.prefix, dockerfile: node.dockerfile, digestsFile: build.digestsFile, runImage: node.name === options.runImage },
      inputs: [
        `{workspaceRoot}/${node.dockerfile}`,
        ...(build.digestsFile ? [`{workspaceRoot}/${build.digestsFile}`] : []),
        `${plugin}/src/**/*.ts`,
        `!${plugin}/src/**/*.spec.ts`,
        { externalDependencies: [...EXECUTOR_PACKAGES, 'dockerfile-utils'] },
      ],
      cache: true,
      metadata: { technologies: ['docker'], description: `Lint ${node.dockerfile}: dockerfile-utils diagnostics plus pinned digests, no :latest, non-root runner, apt lists removed.` },
    },
    clean: {
      executor: `${EXECUTORS}:clean`,
      options: common,
      cache: false,
      metadata: { technologies: ['docker'], description: `Remove every tag of ${options.prefix}/${node.name} from the engine and its metadata (make clean-${node.name}).` },
    },
  };
  if (specFile) {
    targets.test = {
      executor: `${EXECUTORS}:test`,
      options: { ...common, spec: specFile },
      inputs: [
        ...buildInputs.filter((input) => typeof input === 'string' || !('externalDependencies' in input)),
        `{workspaceRoot}/${specFile}`,
        `${plugin}/image-test.schema.json`,
        { externalDependencies: [...EXECUTOR_PACKAGES, 'ajv'] },
      ],
      dependsOn: ['build'],
      cache: true,
      metadata: { technologies: ['docker'], description: `Run the checks of ${specFile} against ${options.prefix}/${node.name} (cached per image hash).` },
    };
  }
  targets.push = {
    executor: `${EXECUTORS}:push`,
    options: { ...common, registry: options.registry },
    dependsOn: ['build'],
    cache: false,
    metadata: {
      technologies: ['docker'],
      description: `Push ${options.prefix}/${node.name}'s hash tag to the registry (IMAGE_REGISTRY); --tags=latest,… pushes moving tags too.`,
    },
  };
  if (build.digestsFile) {
    targets['update-digest'] = {
      executor: `${EXECUTORS}:update-digest`,
      options: { name: node.name, digestsFile: build.digestsFile },
      cache: false,
      metadata: {
        technologies: ['docker'],
        description: `Move BASE_DIGEST in ${build.digestsFile} to the digest BASE_IMAGE's tag points at now; --check only reports a stale pin.`,
      },
    };
  }
  if (node.name === options.runImage) {
    targets.run = {
      executor: `${EXECUTORS}:run`,
      options: common,
      dependsOn: ['build'],
      cache: false,
      metadata: { technologies: ['docker'], description: `Build, then run the app in ${options.prefix}/${node.name} (make run-app). Extra args go to the app.` },
    };
  }
  return targets;
}

/** Infers one project per `images/<name>/Dockerfile`, named after the folder. */
export const createNodes: CreateNodes<ImagesPluginOptions> = [
  DOCKERFILE_GLOB,
  (dockerfiles, rawOptions, context) => {
    const options = normalizePluginOptions(rawOptions);
    const graph = loadImageGraph(context.workspaceRoot, dockerfiles, options.prefix);
    const settings = readInputSettings(context.workspaceRoot, options);
    return [...graph.nodes.values()].map((node) => {
      const root = node.dockerfile.replace(/\/Dockerfile$/, '');
      const spec = `${root}/${IMAGE_SPEC}`;
      const targets = createImageTargets(node, graph, options, settings, existsSync(join(context.workspaceRoot, spec)) ? spec : undefined);
      return [
        node.dockerfile,
        {
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
        },
      ] as const;
    });
  },
];
