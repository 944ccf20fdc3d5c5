import { PothosValidationError } from '@pothos/core';
import { createComplexityRule } from '@pothos/plugin-complexity';
import {
  getNamedType, GraphQLError, GraphQLList, GraphQLNonNull, validate, type DocumentNode, type ExecutionArgs, type GraphQLField, type GraphQLOutputType,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { refuseBeforeRunning } from './before-running.ts';
import { DomainError, ErrorCode } from '../domain/shared/errors.ts';
import { pageWindow } from './types/pagination.ts';

/**
 * The cost limit (CONTRACT.md §12): a document's worst-case size is scored before it runs, and one
 * over the limit is refused with QUERY_TOO_COMPLEX.
 *
 * Scoring (Pothos's complexity plugin): every field costs 1; a connection multiplies what it selects
 * by its page size (`first` or `last`, else the default page size 50), and nested connections
 * multiply through, so `payables(first: 500) { … paymentRun { payables(first: 500) … } }` scores
 * 250,000 times its leaf. A connection's `edges` list is that page, not another factor. Unpaged
 * lists (a run's funding groups, a batch's authorisations) count 10 each. The dashboard's read,
 * 50 runs x 20 payables, scores 10,601.
 *
 * graphql-armor's cost limit was the alternative; it prices objects, scalars and depth but never
 * reads an argument, so `first: 500` and `first: 1` cost the same: it scored the dashboard read at
 * 150,000 and could not tell it from the heap-exhausting query.
 */
export const UNPAGED_LIST_FACTOR = 10;

function isList(type: GraphQLOutputType): boolean {
  return type instanceof GraphQLNonNull ? isList(type.ofType) : type instanceof GraphQLList;
}

/** Bad page sizes are refused here too, so even a connection whose resolver is skipped answers them. */
export function fieldCost(args: Record<string, unknown>, _ctx: unknown, field: GraphQLField<unknown, unknown>) {
  if (field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) {
    try {
      return { field: 1, multiplier: pageWindow(args as never).size };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Reported as a validation error (the rule only reports PothosValidationErrors).
      throw new PothosValidationError(error.message, { extensions: { ...error.extensions, code: error.code } });
    }
  }
  if (field.name === 'edges' && getNamedType(field.type).name.endsWith('Edge')) return { field: 1, multiplier: 1 };
  return isList(field.type) ? { field: 1, multiplier: UNPAGED_LIST_FACTOR } : 1;
}

/**
 * Scores each operation with its variables just before it runs (HTTP and WebSocket alike). Not a
 * validation rule: yoga caches validation per document, and the score depends on the variables.
 */
export function useCostLimit(maxCost: number): Plugin {
  // The verdict depends only on the document, operation and variables; yoga hands the same parsed
  // document to repeated requests, so the dashboard's poll is scored once (~0.4 ms saved per read).
  const verdicts = new WeakMap<DocumentNode, Map<string, readonly GraphQLError[]>>();
  return refuseBeforeRunning((args) => {
    // Big variables (a 10,000-payable run) are not worth keeping: scoring is small beside their work.
    // Nor are they serialised for a key: boundedJson stops at the limit.
    const variables = boundedJson(args.variableValues ?? {}, 2048);
    if (variables === null) return judge(args, maxCost);
    const key = `${args.operationName ?? ''}\u0000${variables}`;
    if (key.length > 2048) return judge(args, maxCost);
    let byVariables = verdicts.get(args.document);
    const known = byVariables?.get(key);
    if (known) return known;
    const verdict = judge(args, maxCost);
    if (!byVariables) verdicts.set(args.document, (byVariables = new Map()));
    if (byVariables.size >= 100) byVariables.delete(byVariables.keys().next().value!);
    byVariables.set(key, verdict);
    return verdict;
  });
}

/**
 * JSON.stringify of a variables value (plain JSON, as parsed from a request), or null as soon as it
 * would pass `limit` characters: scalars are serialised one at a time, so a large value costs only
 * the part read before the limit.
 */
export function boundedJson(value: unknown, limit: number): string | null {
  const parts: string[] = [];
  let length = 0;
  const push = (text: string) => {
    parts.push(text);
    length += text.length;
    return length <= limit;
  };
  const walk = (inner: unknown): boolean => {
    if (inner === null || typeof inner !== 'object') return push(JSON.stringify(inner) ?? 'null');
    if (typeof (inner as { toJSON?: unknown }).toJSON === 'function') return push(JSON.stringify(inner) ?? 'null');
    if (Array.isArray(inner)) {
      if (!push('[')) return false;
      for (let i = 0; i < inner.length; i++) {
        const item = inner[i];
        if ((i > 0 && !push(',')) || !walk(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item)) return false;
      }
      return push(']');
    }
    if (!push('{')) return false;
    let first = true;
    for (const key of Object.keys(inner)) {
      const field = (inner as Record<string, unknown>)[key];
      if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
      if ((!first && !push(',')) || !push(`${JSON.stringify(key)}:`) || !walk(field)) return false;
      first = false;
    }
    return push('}');
  };
  return walk(value) ? parts.join('') : null;
}

function judge(args: ExecutionArgs, maxCost: number): readonly GraphQLError[] {
  try {
    return score(args, maxCost);
  } catch (error) {
    // Scoring maps arguments as resolvers see them, which decodes global ids: a bad id is the
    // field's own answer (NOT_FOUND at its path), given when it runs.
    if (error instanceof DomainError) return [];
    throw error;
  }
}

/** The complexity rule for an operation and its variables; `check` sees the worst-case score. */
function complexityRule(
  { variableValues, operationName, contextValue }: ExecutionArgs,
  check: (complexity: number, report: (error: GraphQLError) => void) => void,
) {
  return createComplexityRule({
    context: (contextValue ?? {}) as object,
    variableValues: variableValues ?? {},
    operationName: operationName ?? undefined,
    validate: ({ complexity }, report) => check(complexity, report),
  });
}

/** An operation's worst-case score with its variables: the number the limit is compared with. */
export function queryCost(args: ExecutionArgs): number {
  let cost = 0;
  const errors = validate(args.schema, args.document, [complexityRule(args, (complexity) => void (cost = complexity))]);
  // A document the schema refuses has no score; 0 would read as "cheap".
  if (errors.length) throw errors[0];
  return cost;
}

function score(args: ExecutionArgs, maxCost: number) {
  const errors = validate(args.schema, args.document, [
    complexityRule(args, (complexity, report) => {
      if (complexity <= maxCost) return;
      report(new GraphQLError(`Query too complex: its worst case scores ${complexity}, the limit is ${maxCost}`, {
        extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, cost: complexity, maxCost },
      }));
    }),
  ]);
  // Variables of the wrong type are left to execution, which refuses them before any resolver runs.
  return errors.filter((error) => error.extensions?.code);
}
