import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on source, no build: @meshgate/* resolve to each package's src.
const packages = ['core', 'kafka', 'rabbitmq', 'nats', 'pubsub', 'knative', 'gateway'];
const alias = packages.map((name) => ({
  find: new RegExp(`^@meshgate/${name}$`),
  replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    // Starts (or checks) Kafka, RabbitMQ, NATS and the Pub/Sub emulator once per run.
    globalSetup: ['test/setup/services.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          sequence: { groupOrder: 0 },
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.disruptive.test.ts'],
        },
      },
      {
        // Tests that restart or cut off a shared broker run last, one file at a time, so that
        // they never pull a broker out from under another test.
        extends: true,
        test: {
          name: 'disruptive',
          include: ['packages/*/test/**/*.disruptive.test.ts', 'test/**/*.disruptive.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
