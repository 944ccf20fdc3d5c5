import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A check of an operation together with its variables, made after validation and before anything
 * executes or subscribes; errors it returns become the whole response and nothing runs.
 */
export function refuseBeforeRunning(check: (args: ExecutionArgs) => readonly GraphQLError[]): Plugin {
  const guard = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: never) => void }) => {
    const errors = check(args);
    if (errors.length) setResultAndStopExecution({ errors } as never);
  };
  return { onExecute: guard, onSubscribe: guard };
}
