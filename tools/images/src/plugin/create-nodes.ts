import type { CreateNodes, TargetConfiguration } from '@nx/devkit';
import { createImageInputs, type InputSettings } from '../core/inputs';
import type { ImageGraph, ImageNode } from '../core/image-graph';
import { normalizePluginOptions, type ImagesPluginOptions, type NormalizedPluginOptions } from '../core/options';
import { DOCKERFILE_GLOB, loadImageGraph, readInputSettings } from './load-graph';

const EXECUTORS = '@ffreis/nx-images';

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
 * Pure: the targets of one image project. `build` depends on the parents' `build`;
 * `clean` removes the image's tags; the run image also gets `run`.
 */
export function createImageTargets(
  node: ImageNode,
  graph: ImageGraph,
  options: NormalizedPluginOptions,
  settings: InputSettings,
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
  const targets: Record<string, TargetConfiguration> = {
    build: {
      executor: `${EXECUTORS}:build`,
      options: build,
      inputs: createImageInputs(graph, node.name, settings),
      dependsOn: ['^build'],
      cache: false,
      metadata: {
        technologies: ['docker'],
        description: `Build ${options.prefix}/${node.name} from ${node.dockerfile}, tagged with the Nx hash (skipped when that tag is present) and moved to :latest.`,
      },
    },
    clean: {
      executor: `${EXECUTORS}:clean`,
      options: common,
      cache: false,
      metadata: { technologies: ['docker'], description: `Remove every tag of ${options.prefix}/${node.name} from the engine and its metadata (make clean-${node.name}).` },
    },
  };
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
      const targets = createImageTargets(node, graph, options, settings);
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
