import { defineConfig } from 'vitest/config';

// Two suites: `unit` (pure core, adapters, plugin glue, bench statistics; no engine) and
// `integration` (real engine, real registry; files run one at a time because
// they share the engine's store).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tools/**/src/**/*.spec.ts', 'tools/**/bench/**/*.spec.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tools/**/tests/**/*.spec.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
