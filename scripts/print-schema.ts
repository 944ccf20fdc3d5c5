// Prints the Pothos schema to schema.graphql (committed; test/schema.test.ts fails when it is stale).
// `--check` exits 1 instead of writing when the file differs.
import { readFile, writeFile } from 'node:fs/promises';
import { printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.ts';

const printed = `${printSchema(schema)}\n`;
if (process.argv.includes('--check')) {
  const committed = await readFile('schema.graphql', 'utf8').catch(() => '');
  if (committed !== printed) {
    console.error('schema.graphql is stale: run `npm run schema:print`');
    process.exit(1);
  }
} else {
  await writeFile('schema.graphql', printed);
  console.log('wrote schema.graphql');
}
