import type { OneTimeCodes } from '../domain/ports.ts';

/**
 * Strong Customer Authentication. The gateway has no real authenticator device yet: in sandbox every
 * one-time password is 123456 (CONTRACT.md §2). Kept behind one function so a real provider can
 * replace it without touching the commands that ask for a code.
 */
export const SANDBOX_ONE_TIME_PASSWORD = '123456';

export const isValidOneTimePassword = (code: string) => code === SANDBOX_ONE_TIME_PASSWORD;

/** The sandbox behind the domain's OneTimeCodes port: every user's code is 123456, for every purpose. */
export const sandboxOneTimeCodes: OneTimeCodes = {
  verify: async (_userId, _purpose, code) => isValidOneTimePassword(code),
};
