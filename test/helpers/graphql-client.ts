import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

/** A plain HTTP client for tests: typed documents in, parsed JSON out, nothing hidden. */
export class GraphQLTestClient {
  constructor(
    readonly url: string,
    readonly headers: Record<string, string> = {},
  ) {}

  with(headers: Record<string, string>) {
    return new GraphQLTestClient(this.url, { ...this.headers, ...headers });
  }

  async request<T, V>(
    document: TypedDocumentNode<T, V> | DocumentNode | string,
    variables?: V,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const query = typeof document === 'string' ? document : print(document);
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  }

  /** Expects success; throws with the errors otherwise. */
  async data<T, V>(document: TypedDocumentNode<T, V> | DocumentNode | string, variables?: V, headers?: Record<string, string>): Promise<T> {
    const result = await this.request(document, variables, headers);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  /** Expects exactly one error; returns it. */
  async error<T, V>(document: TypedDocumentNode<T, V> | DocumentNode | string, variables?: V, headers?: Record<string, string>) {
    const result = await this.request(document, variables, headers);
    if (!result.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
    return result.errors[0]!;
  }
}
