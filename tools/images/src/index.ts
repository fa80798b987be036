/** The workspace's Nx plugin: one project per images/<name>/Dockerfile, edges from the Dockerfiles. */
export { createNodes, createNodes as createNodesV2 } from './plugin/create-nodes';
export { createDependencies } from './plugin/create-dependencies';
export { PLUGIN_PACKAGE as name } from './plugin/package-name';
export { postTasksExecution } from './plugin/build-summary';
export { preTasksExecution } from './plugin/view-hook';
