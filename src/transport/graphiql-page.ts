import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * GraphiQL with every script and style inlined from @graphql-yoga/render-graphiql: the page loads
 * nothing from another host (yoga's default fetches GraphiQL from a CDN).
 *
 * Subscriptions go over SSE on /graphql, because there the headers typed into GraphiQL's editor
 * travel as ordinary HTTP headers on every operation, subscriptions included: `Authorization:
 * Bearer …` authorises them exactly as it does queries. Over WebSocket yoga's GraphiQL would send
 * its fixed connectionParams, not the editor's headers, and the gateway would refuse the socket.
 */
export const GRAPHIQL_OPTIONS = {
  title: 'Payment-run gateway · GraphiQL',
  subscriptionsProtocol: 'SSE',
  defaultQuery: `# Sign in with the login mutation, then add a header (Headers tab below):
#   { "Authorization": "Bearer <token>" }
# Queries, mutations and subscriptions all use it.
subscription Live {
  statusChanged { cursor entityType entityId fromStatus toStatus occurredAt }
}
`,
} satisfies GraphiQLOptions;

let cached: { key: string; html: string } | null = null;

/** The page is ~9 MB of inlined JavaScript: render it once per set of options. */
export function renderLocalGraphiQL(options?: GraphiQLOptions): string {
  const key = JSON.stringify(options ?? {});
  if (cached?.key !== key) cached = { key, html: renderGraphiQL(options) };
  return cached.html;
}
