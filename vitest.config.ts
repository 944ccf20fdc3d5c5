import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql must load once, or its instanceof checks fail ("from another module or realm").
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
