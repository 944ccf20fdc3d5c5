// The event log's reads and cursors live in the domain (src/domain/shared/event-log.ts) so domain
// readers need nothing from src/events; re-exported here for the live streams, relay and GraphQL.
export * from '../domain/shared/event-log.ts';
