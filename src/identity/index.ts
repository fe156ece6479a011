export { createFileKeyStore, KEYS_FILE, KEY_USAGE_FILE } from './file-key-store.js';
export { createFileSigningKeyStore, SIGNING_KEYS_FILE } from './file-signing-key-store.js';
export {
  identitySchema,
  defaultIdentityConfig,
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  type IdentityConfig,
  type JwtConfig,
} from './identity-config.js';
export { issueToken, type IssueTokenOptions, type IssuedToken } from './issue-token.js';
export {
  createTokenVerifier,
  type TokenVerifier,
  type VerifiedToken,
  type VerifyResult,
} from './token-verifier.js';
export { JWKS_PATH, jwksAdminEndpoint, sendJwks } from './jwks-endpoint.js';
export { publicJwks } from './key-ring.js';
