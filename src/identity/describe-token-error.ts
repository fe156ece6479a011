import { errors } from 'jose';

/** A token that is not valid, with the one-line reason a client sees in WWW-Authenticate. */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

/**
 * Every way verification can fail becomes a readable reason (RFC 6750 §3.1 error_description);
 * an unexpected error is still a rejection, never a 500.
 */
export function describeTokenError(error: unknown): string {
  if (error instanceof TokenRejected) return error.message;
  if (error instanceof errors.JWTExpired) return 'The token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet (nbf is in the future)';
    if (error.claim === 'aud') return 'The token is meant for another audience';
    if (error.claim === 'iss') return 'The token comes from another issuer';
    if (error.claim === 'exp') return 'The token has no valid exp claim';
    if (error.claim === 'iat') return 'The token was issued in the future';
    return `The token's ${error.claim} claim is not valid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'The token is signed with an algorithm that is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature does not match';
  if (error instanceof errors.JWKSNoMatchingKey) return "No known key matches the token's kid";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return "The issuer's keys could not be fetched";
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'The token is malformed';
  if (error instanceof errors.JOSENotSupported) return 'The token uses an unsupported algorithm or key';
  // jose throws TypeError when a key does not fit the algorithm (e.g. an HMAC secret for ES256).
  if (error instanceof TypeError) return 'The key type does not fit the token algorithm';
  return 'The token could not be verified';
}
