import {
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ArgumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { LoggedStatusChange } from '../events/event-log.ts';
import type { GraphQLContext } from './context.ts';

/**
 * Fan-out once per event. Every subscriber keeps its own source stream (its cursor, its filters,
 * replay from the log, the stream-authority guard and the slow-subscriber guard: live-stream.ts and
 * the transports, unchanged), but turning an event into a result is shared: subscribers whose
 * results cannot differ share one execution per event, and over graphql-ws one serialised frame
 * (graphql-ws.ts sends the same bytes to each).
 *
 * Results cannot differ when the key below is equal: the buyer (tenant), the document, the
 * operation name, the variables except the ones that only feed `after` (a resume point moves the
 * source stream, it changes no result), and, unless the selection only reads the event's own
 * columns, everything the resolvers read from the viewer (user, API key, roles, SCA enrolment,
 * operator key): `entity` and `actor` reach fields such as PaymentRun.viewerActions that answer
 * per viewer. An event is only ever executed for a subscriber whose own stream yielded it, so
 * sharing cannot deliver anything a stream would not have.
 *
 * A shared result is kept for the last RESULTS_PER_KEY events of its key, so that subscribers a
 * little behind (woken in slices, or replaying) find it; beyond that an event is executed again,
 * which is correct, only not shared. A result built only from the event's columns never changes;
 * one that read the database (an entity, an actor) is reused for RESULT_TTL_MS at most, so a late
 * subscriber does not get an old reading of the entity. A result with errors is never shared.
 */

/** The fields of StatusChange that read only the event itself: no context, no database. */
const EVENT_COLUMNS = new Set(['cursor', 'entityType', 'entityId', 'paymentRunId', 'fromStatus', 'toStatus', 'occurredAt', '__typename']);
const SHARED_FIELD = 'statusChanged';
const RESULTS_PER_KEY = 64;
const RESULT_TTL_MS = 2_000;

export interface SharedExecutionStats {
  /** Events turned into a result by executing the document (shared or not). */
  executions: number;
  /** Results handed to subscribers of a shared subscription. */
  deliveries: number;
  /** Shared results serialised for graphql-ws (once each, whatever the number of sockets). */
  serialisations: number;
}

interface KeyEntry {
  subscribers: number;
  /** How long a result may be handed out: a result of the event's columns alone never changes. */
  ttlMs: number;
  results: Map<bigint, { at: number; result: Promise<ExecutionResult> }>;
}

/** A result serialised once: its JSON, and the whole graphql-ws frame per subscription id. */
export interface SharedFrame {
  readonly json: string;
  readonly frames: Map<string, Buffer>;
}

const sharedFrames = new WeakMap<object, { json: string | null; frames: Map<string, Buffer>; stats: SharedExecutionStats }>();

/** The serialised form of a shared result (made on first use), or null for any other result. */
export function sharedFrameOf(result: unknown): SharedFrame | null {
  if (typeof result !== 'object' || result === null) return null;
  const entry = sharedFrames.get(result);
  if (!entry) return null;
  if (entry.json === null) {
    entry.json = JSON.stringify(result);
    entry.stats.serialisations += 1;
  }
  return entry as SharedFrame;
}

export interface SharedSubscriptions {
  plugin(): Plugin;
  readonly stats: Readonly<SharedExecutionStats>;
  /** Keys with at least one subscriber (tests, diagnostics). */
  readonly keys: number;
}

export function createSharedSubscriptions(): SharedSubscriptions {
  const entries = new Map<string, KeyEntry>();
  const stats: SharedExecutionStats = { executions: 0, deliveries: 0, serialisations: 0 };

  const executeOnce = (args: ExecutionArgs, payload: unknown): Promise<ExecutionResult> => {
    stats.executions += 1;
    // A context of its own per execution (a shallow copy): per-request caches (loaders) start
    // empty for every event, whichever subscriber's context it was built from.
    const contextValue = typeof args.contextValue === 'object' && args.contextValue !== null ? { ...args.contextValue } : args.contextValue;
    return Promise.resolve(execute({ ...args, rootValue: payload, contextValue }));
  };

  function resultFor(entry: KeyEntry, buyerId: string, args: ExecutionArgs, payload: unknown): Promise<ExecutionResult> {
    if (!isEvent(payload) || payload.buyerId !== buyerId) return executeOnce(args, payload); // REVOKED, or not this buyer's
    const now = Date.now();
    const cached = entry.results.get(payload.seq);
    if (cached && now - cached.at <= entry.ttlMs) return cached.result;
    const result = executeOnce(args, payload).then((value) => {
      if (value.errors?.length) entry.results.delete(payload.seq); // used by whoever waits now, not later
      else sharedFrames.set(value, { json: null, frames: new Map(), stats });
      return value;
    });
    entry.results.delete(payload.seq);
    entry.results.set(payload.seq, { at: now, result });
    if (entry.results.size > RESULTS_PER_KEY) entry.results.delete(entry.results.keys().next().value!);
    return result;
  }

  function sharedSubscribe({ key, buyerId, eventColumnsOnly }: ShareKey) {
    return async (args: ExecutionArgs) => {
      const source = await createSourceEventStream(args);
      if (!isAsyncIterable(source)) return source;
      let entry = entries.get(key);
      if (!entry) {
        entry = { subscribers: 0, ttlMs: eventColumnsOnly ? Number.POSITIVE_INFINITY : RESULT_TTL_MS, results: new Map() };
        entries.set(key, entry);
      }
      entry.subscribers += 1;
      const held = entry;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        held.subscribers -= 1;
        if (held.subscribers === 0 && entries.get(key) === held) entries.delete(key);
      };
      return mapStream(source, async (payload) => {
        const result = await resultFor(held, buyerId, args, payload);
        stats.deliveries += 1;
        return result;
      }, release);
    };
  }

  return {
    stats,
    get keys() {
      return entries.size;
    },
    plugin: (): Plugin => ({
      onSubscribe({ args, setSubscribeFn }) {
        const key = shareKey(args);
        if (key) setSubscribeFn(sharedSubscribe(key) as never);
      },
    }),
  };
}

const isEvent = (value: unknown): value is LoggedStatusChange =>
  typeof value === 'object' && value !== null && typeof (value as LoggedStatusChange).seq === 'bigint' && typeof (value as LoggedStatusChange).buyerId === 'string';

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** graphql-js's own mapping of a source stream to results, plus a release when the stream ends. */
function mapStream(source: AsyncIterable<unknown>, map: (payload: unknown) => Promise<ExecutionResult>, release: () => void): AsyncGenerator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const mapResult = async (result: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => {
    if (result.done) {
      release();
      return result;
    }
    try {
      return { value: await map(result.value), done: false };
    } catch (error) {
      release();
      try {
        await iterator.return?.();
      } catch {
        // as graphql-js: the mapping error is the one reported
      }
      throw error;
    }
  };
  const mapped: AsyncGenerator<ExecutionResult> = {
    next: async () => mapResult(await iterator.next()),
    return: async () => {
      release();
      return iterator.return ? mapResult(await iterator.return()) : { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      release();
      if (iterator.throw) return mapResult(await iterator.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  } as AsyncGenerator<ExecutionResult>;
  return mapped;
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 1;

export interface ShareKey {
  key: string;
  buyerId: string;
  /** The selection reads only the event's own columns (no viewer, no database). */
  eventColumnsOnly: boolean;
}

/** The sharing key of a subscription, or null when it is not one to share. */
export function shareKey(args: ExecutionArgs): ShareKey | null {
  const ctx = args.contextValue as GraphQLContext | undefined;
  const actor = ctx?.actor;
  if (!actor) return null;
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== 'subscription') return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of args.document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  const shape = rootShape(operation, fragments);
  if (!shape) return null;
  const variables = variablesOfResult(args.document, operation, shape.afterArguments, args.variableValues ?? {});
  const viewer = shape.eventColumnsOnly
    ? null
    : [actor.userId, actor.apiKeyId ?? null, [...actor.roles].sort(), actor.scaEnrolled, ctx.isOperator];
  let source = args.document.loc?.source.body;
  if (source === undefined) {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
    source = `#document ${id}`;
  }
  return {
    key: JSON.stringify([actor.buyerId, viewer, args.operationName ?? null, variables, source]),
    buyerId: actor.buyerId,
    eventColumnsOnly: shape.eventColumnsOnly,
  };
}

/**
 * The operation's root selection: exactly one field, statusChanged (under any alias, through
 * fragments), without directives. Returns whether its selection reads only the event's columns and
 * its `after` argument nodes.
 */
function rootShape(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>) {
  const roots = fieldsOf(operation.selectionSet, fragments, new Set());
  if (!roots || roots.length !== 1) return null;
  const root = roots[0]!;
  if (root.name.value !== SHARED_FIELD || root.directives?.length) return null;
  const afterArguments = new Set((root.arguments ?? []).filter((argument) => argument.name.value === 'after'));
  const leaves = root.selectionSet ? fieldsOf(root.selectionSet, fragments, new Set()) : null;
  const eventColumnsOnly = leaves !== null && leaves.every((field) => EVENT_COLUMNS.has(field.name.value) && !field.selectionSet);
  return { afterArguments, eventColumnsOnly };
}

type FieldNodeOf = Extract<SelectionSetNode['selections'][number], { kind: Kind.FIELD }>;

/** The fields of a selection set with fragments flattened; null when a fragment cannot be followed. */
function fieldsOf(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): FieldNodeOf[] | null {
  const fields: FieldNodeOf[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      fields.push(selection);
      continue;
    }
    // Conditional fragments (@include/@skip) hang on variables, which are in the key: following
    // them as if always taken only makes the "event columns only" test stricter.
    let inner: SelectionSetNode;
    if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet;
    else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) return null;
      seen.add(fragment.name.value);
      inner = fragment.selectionSet;
    }
    const nested = fieldsOf(inner, fragments, seen);
    if (!nested) return null;
    fields.push(...nested);
  }
  return fields;
}

/**
 * The variables that can change a result: all of them except those used nowhere but as the root
 * field's `after` (a variable used anywhere else in the operation or a fragment stays in the key).
 */
function variablesOfResult(document: DocumentNode, operation: OperationDefinitionNode, afterArguments: Set<ArgumentNode>, values: Record<string, unknown>) {
  const afterVariables = new Set<string>();
  for (const argument of afterArguments) if (argument.value.kind === Kind.VARIABLE) afterVariables.add(argument.value.name.value);
  const usedElsewhere = new Set<string>();
  if (afterVariables.size) {
    const visitor = {
      // Returning false skips the node's subtree: the root field's `after` itself.
      Argument: (node: ArgumentNode) => (afterArguments.has(node) ? false : undefined),
      VariableDefinition: () => false as const,
      Variable: (node: VariableNode) => void usedElsewhere.add(node.name.value),
    };
    visit(operation, visitor);
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition, visitor);
  }
  const kept: unknown[] = [];
  for (const name of Object.keys(values).sort()) {
    if (afterVariables.has(name) && !usedElsewhere.has(name)) continue;
    // JSON would print an undefined value as null: say which it was.
    kept.push(values[name] === undefined ? [name] : [name, values[name]]);
  }
  return kept;
}
