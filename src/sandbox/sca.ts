import type { OneTimeCodes } from '../domain/ports.ts';

/**
 * Strong customer authentication in the sandbox: the real TOTP codes work as they do outside it, and
 * the fixed code 123456 is accepted too, for every user and purpose (CONTRACT.md §7), so scripted
 * sandboxes and the demo keep working without an authenticator app. It is tied to no time step, so
 * it can be used again and again. src/services.ts wraps the real codes in this only when SANDBOX=true.
 */
export const SANDBOX_ONE_TIME_PASSWORD = '123456';

export function withSandboxCode(real: OneTimeCodes): OneTimeCodes {
  return {
    startEnrolment: (user) => real.startEnrolment(user),
    verify: async (check) => (check.code === SANDBOX_ONE_TIME_PASSWORD ? { step: null } : real.verify(check)),
  };
}
