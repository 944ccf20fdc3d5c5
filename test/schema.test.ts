import { readFile } from 'node:fs/promises';
import {
  isEnumType, isInputObjectType, isInterfaceType, isIntrospectionType, isObjectType, isSpecifiedScalarType, printSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { descriptionGaps, schema } from '../src/graphql/schema.ts';

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

  it('describes every type, field, argument and enum value; mutations name their roles and allowed states', () => {
    expect(descriptionGaps.missing).toEqual([]);
    const undescribed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
      if (!type.description?.trim()) undescribed.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description?.trim()) undescribed.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description?.trim()) undescribed.push(`${type.name}.${field.name}(${arg.name}:)`);
        }
      }
      if (isEnumType(type)) for (const value of type.getValues()) if (!value.description?.trim()) undescribed.push(`${type.name}.${value.name}`);
    }
    expect(undescribed).toEqual([]);
    expect(descriptionGaps.unused, 'entries in src/graphql/descriptions.ts that describe nothing').toEqual([]);
    const vague = Object.values(schema.getMutationType()!.getFields())
      .filter((field) => !/Roles: .+\. Allowed when: .+\./s.test(field.description ?? ''))
      .map((field) => field.name);
    expect(vague).toEqual([]);
  });
});
