import { createSecretKey } from 'node:crypto';
import { jwtVerify, SignJWT, errors } from 'jose';

/**
 * Bearer tokens carry only who the user is and which session (`jti`) they belong to; roles are read
 * fresh from the database per operation, in the same query that checks the session is not revoked.
 */
export interface TokenService {
  issue(userId: string, buyerId: string, sessionId?: string): Promise<string>;
  /** Returns the claims, or null for a missing, forged, malformed or expired token. */
  verify(token: string): Promise<VerifiedToken | null>;
}

export interface VerifiedToken {
  userId: string;
  buyerId: string;
  /** The session (`jti`) the token belongs to; null for a token issued without one. */
  sessionId: string | null;
  /** When the token stops being valid: open streams end by then (CONTRACT §10). */
  expiresAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ISSUER = 'payment-run-gateway';

/** Verified tokens remembered per process (bounded; the oldest goes first). */
const VERIFIED_CACHE_SIZE = 10_000;

export function createTokenService(secret: string, ttlSeconds: number): TokenService {
  // Imported once: handing jose raw bytes would import the key again on every sign and verify.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  /**
   * A token's signature, issuer, algorithm and claims never change, so once verified they need not
   * be verified again (WebCrypto's HMAC is an async job per call, a large share of a small
   * operation's CPU). Only time moves: a remembered token is answered only while jose would still
   * accept it (exp > now, in whole seconds, as jose compares). Revocation is not a property of the
   * token: the session is still read from the database on every operation. Only tokens that passed
   * are remembered, so forged ones cannot fill the map.
   */
  const verified = new Map<string, { userId: string; buyerId: string; sessionId: string | null; exp: number }>();
  return {
    issue: (userId, buyerId, sessionId) => {
      const jwt = new SignJWT({ buyer: buyerId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`);
      if (sessionId) jwt.setJti(sessionId);
      return jwt.sign(key);
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.exp > Math.floor(Date.now() / 1000)) {
          return { userId: known.userId, buyerId: known.buyerId, sessionId: known.sessionId, expiresAt: new Date(known.exp * 1000) };
        }
        verified.delete(token);
        return null;
      }
      try {
        // A token that never expires is refused (requiredClaims): every credential must age out.
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'], requiredClaims: ['exp'] });
        // Ids that are not UUIDs would only fail later, in SQL, as an internal error.
        if (typeof payload.sub !== 'string' || typeof payload.buyer !== 'string') return null;
        if (!UUID.test(payload.sub) || !UUID.test(payload.buyer) || typeof payload.exp !== 'number') return null;
        const sessionId = typeof payload.jti === 'string' ? payload.jti : null;
        // A not-before claim would make validity depend on time from both sides: never remembered.
        if (payload.nbf === undefined && Number.isInteger(payload.exp)) {
          if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
          verified.set(token, { userId: payload.sub, buyerId: payload.buyer, sessionId, exp: payload.exp });
        }
        return { userId: payload.sub, buyerId: payload.buyer, sessionId, expiresAt: new Date(payload.exp * 1000) };
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
  };
}

/** `Bearer <token>` → token; tolerant of case and surrounding space, strict about the scheme. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
