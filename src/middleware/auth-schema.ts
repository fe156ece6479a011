import { z } from 'zod';

const authMethod = z.enum(['apiKey', 'jwt']);

export const authSchema = z
  .union([z.literal(false), authMethod, z.array(authMethod).min(1)], {
    error: "expected false, 'apiKey', 'jwt', or a list of them",
  })
  .describe("Who may call: false (public), 'apiKey', 'jwt', or a list meaning any of them");
export const scopesSchema = z
  .array(z.string().min(1))
  .min(1)
  .describe("Scopes the caller must all hold (a key's scopes or a token's `scope` claim)");
export const forwardCredentialsSchema = z
  .boolean()
  .describe(
    'Also send the verified API key or token itself upstream (default: only the identity headers). ' +
      'Any other credential header the request carries is removed either way',
  );
