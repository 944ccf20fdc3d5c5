import type { CodegenConfig } from '@graphql-codegen/cli';

const clientConfig = {
  // NodeNext needs explicit extensions in the emitted imports.
  emitLegacyCommonJSImports: false,
  useTypeImports: true,
  scalars: { DateTime: 'string', SafeInt: 'number', ID: 'string' },
  enumsAsTypes: true,
};

// Typed documents for the tests' client and for the dashboard (src/web): run `npm run codegen`.
// Each target reads only its own sources' documents.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: true,
  generates: {
    'test/generated/': {
      documents: ['test/**/*.ts', '!test/generated/**'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: clientConfig,
    },
    'src/web/generated/': {
      documents: ['src/web/**/*.{ts,tsx}', '!src/web/generated/**'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      // Documents as plain strings: the browser bundle needs no GraphQL parser or printer.
      config: { ...clientConfig, documentMode: 'string' },
    },
  },
};

export default config;
