/** The plugin's npm package: its name in nx.json, its executors' prefix and where its files resolve. */
export const PLUGIN_PACKAGE = '@ffreis/nx-images';
