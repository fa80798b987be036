import type { EngineName } from '../core/options';
import { dockerAdapter } from './docker';
import { podmanAdapter } from './podman';
import type { EngineAdapter } from './types';

/** The adapter for an engine, driving the given client binary. */
export function engineAdapter(engine: EngineName, client?: string): EngineAdapter {
  return engine === 'podman' ? podmanAdapter(client) : dockerAdapter(client);
}
