/**
 * The build recipe's version: what this plugin asks the engine for, given an image's inputs
 * (the build's arguments, labels, tags and Dockerfile as the adapters write them). Every
 * image's tag covers it (the build target's options carry it), in place of the plugin's
 * sources and its npm packages' versions: a refactor, a comment or a dependency bump that
 * sends the engine the same command lines re-tags nothing.
 *
 * Bump it exactly when the golden test (executors/build/recipe.spec.ts) says the command
 * lines for its fixed corpus changed, and add the new digest there: every image then gets a
 * new tag once, as it must, since the engine would build something else.
 */
export const BUILD_RECIPE = 1;
