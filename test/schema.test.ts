import { readFile } from 'node:fs/promises';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.ts';

describe('schema.graphql', () => {
  it('is the printed Pothos schema (run `npm run schema:print` after changing types)', async () => {
    expect(await readFile('schema.graphql', 'utf8')).toBe(`${printSchema(schema)}\n`);
  });

  it('keeps the contract\'s root operations', () => {
    const query = Object.keys(schema.getQueryType()!.getFields());
    const mutation = Object.keys(schema.getMutationType()!.getFields());
    expect(query).toEqual(expect.arrayContaining(['node', 'viewer', 'statusChanges', 'linkedAccounts', 'institutions', 'users']));
    expect(mutation).toEqual(expect.arrayContaining([
      'createBuyer', 'login', 'createUser', 'setUserRoles', 'enrolScaDevice', 'verifyScaEnrolment', 'linkAccount', 'unlinkAccount',
    ]));
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['statusChanged']);
  });
});
