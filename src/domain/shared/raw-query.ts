/**
 * Read-only SQL straight to the database driver, for hot paths where an ORM's mapping costs more
 * than the query. With a `name` the statement stays prepared per connection (one name, one text).
 * Callers name buyer_id themselves.
 */
export type RawQuery = <T>(sql: string, params: unknown[], name?: string) => Promise<T[]>;
