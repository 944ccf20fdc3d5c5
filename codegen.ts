import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests' client (and any TypeScript client): run `npm run codegen`.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/**/*.ts', '!test/generated/**'],
  ignoreNoDocuments: true,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // NodeNext needs explicit extensions in the emitted imports.
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        scalars: { DateTime: 'string', SafeInt: 'number', ID: 'string' },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
