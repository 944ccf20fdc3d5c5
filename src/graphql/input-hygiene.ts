import { GraphQLError, Kind, type ASTNode, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, FieldError } from '../domain/shared/errors.ts';
import { refuseBeforeRunning } from './before-running.ts';

/**
 * Text that PostgreSQL cannot store never reaches a resolver: a NUL character in any string — a
 * literal in the document or anywhere inside the variables — is refused before anything runs with
 * BAD_USER_INPUT, for every argument of every operation (login included), once, here.
 */
const NUL = '\u0000';

const nulError = (fieldName: string, nodes?: ASTNode) =>
  new GraphQLError('Text must not contain NUL characters', {
    nodes,
    extensions: {
      code: ErrorCode.BAD_USER_INPUT,
      invalidFields: [{ fieldName, error: FieldError.REGEX, params: { reason: 'NUL_CHARACTER' } }],
    },
  });

/** The path of the first string holding a NUL inside a variables value, e.g. `input.payables[2].reference`. */
export function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes(NUL)) return `${path}.${key.replaceAll(NUL, '')}`;
      const found = findNul(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

function literalNulRule(): ValidationRule {
  return (context) => ({
    StringValue(node, _key, _parent, _path, ancestors) {
      if (!node.value.includes(NUL)) return;
      const names = ancestors
        .filter((a): a is ASTNode => !Array.isArray(a) && (a as ASTNode).kind !== undefined)
        .flatMap((a) => (a.kind === Kind.ARGUMENT || a.kind === Kind.OBJECT_FIELD ? [a.name.value] : []));
      context.reportError(nulError(names.join('.') || 'document', node));
    },
  });
}

export function useInputHygiene(): Plugin {
  // Literals are part of the document: a validation rule, cached with it.
  const validation: Plugin = { onValidate: ({ addValidationRule }) => addValidationRule(literalNulRule()) };
  // Variables change per request: checked just before the operation runs.
  const variables = refuseBeforeRunning(({ variableValues }) => {
    for (const [name, value] of Object.entries(variableValues ?? {})) {
      const found = findNul(value, name);
      if (found) return [nulError(found)];
    }
    return [];
  });
  return { ...validation, ...variables };
}
