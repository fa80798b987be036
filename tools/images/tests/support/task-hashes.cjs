// Prints, as JSON, the Nx task hash of each project's `build` (and, with --plan, the files
// each hash covers), computed by Nx's own hasher in the workspace this runs in (cwd).
// Used by the soundness tests to learn what Nx would hash without running a build.
const { createProjectGraphAsync } = require('nx/src/project-graph/project-graph');
const { readNxJson } = require('nx/src/config/nx-json');
const { createTaskGraph } = require('nx/src/tasks-runner/create-task-graph');
const { createTaskHasher } = require('nx/src/hasher/create-task-hasher');
const { hashTasks } = require('nx/src/hasher/hash-task');
const { HashPlanInspector } = require('nx/src/hasher/hash-plan-inspector');

async function main() {
  const target = process.argv[2] || 'build';
  const withPlan = process.argv.includes('--plan');
  const graph = await createProjectGraphAsync({ exitOnError: false });
  const nxJson = readNxJson();
  const projects = Object.keys(graph.nodes).filter((p) => graph.nodes[p].data.targets?.[target]);
  const taskGraph = createTaskGraph(graph, {}, projects, [target], undefined, {});
  const hasher = createTaskHasher(graph, nxJson);
  const tasks = Object.values(taskGraph.tasks);
  await hashTasks(hasher, graph, taskGraph, Object.fromEntries(tasks.map((t) => [t.id, process.env])), null);
  const result = {};
  for (const task of tasks) {
    const options = graph.nodes[task.target.project].data.targets[target].options ?? {};
    result[task.target.project] = { hash: task.hash, alwaysBuild: options.alwaysBuild ?? options.env?.NX_IMAGES_ALWAYS_BUILD };
  }
  if (withPlan) {
    const inspector = new HashPlanInspector(graph);
    await inspector.init();
    const plans = inspector.inspectHashPlan(projects, [target]);
    for (const [id, inputs] of Object.entries(plans)) {
      const project = id.split(':')[0];
      if (result[project])
        result[project].files = inputs
          .filter((i) => i.startsWith('file:'))
          .map((i) => i.slice(5))
          .sort();
    }
  }
  process.stdout.write(JSON.stringify(result));
}
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
