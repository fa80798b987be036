import { resolveEngineSettings, type EngineName, type ImagesPluginOptions } from '../core/options';
import { dockerAdapter } from './docker';
import { podmanAdapter } from './podman';
import type { EngineAdapter } from './types';

/** The adapter for an engine, driving the given client binary. */
export function engineAdapter(engine: EngineName, client?: string): EngineAdapter {
  return engine === 'podman' ? podmanAdapter(client) : dockerAdapter(client);
}

/** The adapter for the engine in force: the options, then CONTAINER_ENGINE / CONTAINER_CLIENT. */
export function engineAdapterFor(
  options: Pick<ImagesPluginOptions, 'engine' | 'client'>,
  env: Record<string, string | undefined>,
): EngineAdapter {
  const settings = resolveEngineSettings(options, env);
  return engineAdapter(settings.engine, settings.client);
}
