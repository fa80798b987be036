import { defineConfig } from 'vitest/config';

/** The engines the integration suites run on (tools/images/tests/support/engine.ts reads the same variable). */
const engines = (process.env.TEST_ENGINES || 'docker,podman').split(',').map((name) => name.trim());

// Three suites: `unit` (pure core, adapters, plugin glue, bench statistics; no engine),
// `integration` (real engine, real registry; files run one at a time because they share the
// engine's store) and `soundness` (the differential corpus against the engines: long, so
// `npm test` leaves it to `npm run test:soundness`, which CI runs too).
// Every temporary folder a test makes lives under one folder of the run's, removed at its end.
const globalSetup = ['tools/images/tests/support/run-tmpdir.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tools/**/src/**/*.spec.ts', 'tools/**/bench/**/*.spec.ts'],
          environment: 'node',
          globalSetup,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tools/**/tests/**/*.spec.ts'],
          // Multi-platform images are podman's: that suite runs where podman does (npm run test:podman).
          exclude: [
            'tools/**/tests/soundness.spec.ts',
            'tools/**/tests/adopt.spec.ts',
            'tools/**/tests/readme.spec.ts',
            ...(engines.includes('podman') ? [] : ['tools/**/tests/platforms.spec.ts']),
          ],
          environment: 'node',
          globalSetup,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // Another workspace installs the packed plugin (npm install from the registry): npm run test:adopt.
          name: 'adopt',
          include: ['tools/**/tests/adopt.spec.ts'],
          environment: 'node',
          globalSetup,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // Every README command, in README order, in a copy of the workspace: npm run test:readme.
          name: 'readme',
          include: ['tools/**/tests/readme.spec.ts'],
          environment: 'node',
          globalSetup,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'soundness',
          include: ['tools/**/tests/soundness.spec.ts'],
          environment: 'node',
          globalSetup,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
