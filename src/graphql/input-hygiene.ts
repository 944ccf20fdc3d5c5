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

/** Whether any string (value or object key) inside a variables value holds a NUL. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsNul(value[i])) return true;
    return false;
  }
  if (value !== null && typeof value === 'object') {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (key.includes(NUL) || holdsNul((value as Record<string, unknown>)[key])) return true;
    }
  }
  return false;
}

/**
 * The path of the first string holding a NUL inside a variables value, e.g. `input.payables[2].reference`.
 * A 10,000-payable run is scanned once without building a path per value; the path is spelt out
 * only for the (rare) value that holds one.
 */
export function findNul(value: unknown, path: string): string | null {
  return holdsNul(value) ? pathToNul(value, path) : null;
}

function pathToNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (holdsNul(value[i])) return pathToNul(value[i], `${path}[${i}]`);
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes(NUL)) return `${path}.${key.replaceAll(NUL, '')}`;
      if (holdsNul(inner)) return pathToNul(inner, `${path}.${key}`);
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
