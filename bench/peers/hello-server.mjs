// A bare graphql-yoga (the gateway's own version) answering `{ hello }`: the peer of `{ viewer { id } }`.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  graphiql: false,
  logging: false,
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => console.log(`LISTENING http://127.0.0.1:${server.address().port}/graphql`));
process.on('SIGTERM', () => { server.close(); process.exit(0); });
