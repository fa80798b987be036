/** The workspace's Nx plugin: one project per images/<name>/Dockerfile, edges from the Dockerfiles. */
export { createNodes, createNodes as createNodesV2 } from './plugin/create-nodes';
export { createDependencies } from './plugin/create-dependencies';
export const name = '@ffreis/nx-images';
export { postTasksExecution } from './plugin/build-summary';
