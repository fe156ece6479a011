import type { Command } from 'commander';
import { parseDuration } from '../config/fields.js';
import { GatewayError } from '../errors.js';
import type { SigningAlgorithm } from '../state/types.js';
import { formatTable } from './format-table.js';
import {
  createIo,
  identityConfigFor,
  stateFlags,
  withStateOptions,
  type CliIo,
  type IdentityCliDeps,
} from './identity-cli-context.js';

interface IssueFlags {
  sub: string;
  ttl: string;
  scope: string[];
  claim: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `plan=pro` → ['plan', 'pro']; values that read as JSON (5, true, [..]) keep their type. */
function parseClaim(text: string): [string, unknown] {
  const at = text.indexOf('=');
  if (at <= 0)
    throw new GatewayError('GW_TOKEN_ARGUMENT', `--claim must look like name=value, found '${text}'`);
  const raw = text.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // A plain word stays a string.
  }
  return [text.slice(0, at), value];
}

async function openSigning(command: Command, io: CliIo) {
  const { identity, stateDir, state } = await identityConfigFor(stateFlags(command), io);
  const { openSigningKeyStore } = await import('../state/create-state.js');
  return { identity, store: await openSigningKeyStore({ stateDir, state, watch: false }) };
}

function formatValue(value: unknown, name: string): string {
  if ((name === 'exp' || name === 'iat' || name === 'nbf') && typeof value === 'number') {
    return `${value} (${new Date(value * 1000).toISOString()})`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A token accepted only thanks to the clock-skew allowance: expired, or not valid yet. */
interface SkewUsed {
  claim: 'exp' | 'nbf';
  seconds: number;
  allowanceSeconds: number;
}

function skewUsed(claims: Record<string, unknown>, nowMs: number, clockSkewMs: number): SkewUsed | undefined {
  const now = nowMs / 1000;
  const allowanceSeconds = Math.round(clockSkewMs / 1000);
  if (typeof claims.exp === 'number' && claims.exp <= now)
    return { claim: 'exp', seconds: Math.max(1, Math.round(now - claims.exp)), allowanceSeconds };
  if (typeof claims.nbf === 'number' && claims.nbf > now)
    return { claim: 'nbf', seconds: Math.max(1, Math.round(claims.nbf - now)), allowanceSeconds };
  return undefined;
}

function describeSkew(skew: SkewUsed): string {
  const what =
    skew.claim === 'exp' ? `expired ${skew.seconds} s ago` : `is not valid for another ${skew.seconds} s`;
  return `it ${what}; accepted only because that is inside the ${skew.allowanceSeconds} s clock-skew allowance (identity.jwt.clockSkew)`;
}

/** `gw token issue|verify|rotate-key`: gw as a local token issuer. */
export function registerTokenCommand(program: Command, deps: IdentityCliDeps = {}): void {
  const io = createIo(deps);
  const token = program.command('token').description('issue and verify JWTs, rotate signing keys');

  withStateOptions(token.command('issue'))
    .description('print a signed JWT (the HS256 secret is generated on first use)')
    .requiredOption('--sub <subject>', 'the subject (sent upstream as X-User-ID)')
    .option('--ttl <duration>', 'lifetime, e.g. 15m, 1h, 7d', '1h')
    .option('--scope <scope>', 'a scope (repeat for more)', collect, [])
    .option('--claim <name=value>', 'an extra claim (repeat for more)', collect, [])
    .option('--json', 'print JSON (token, claims, kid)')
    .action(async (flags: IssueFlags, command: Command) => {
      const ttlMs = parseDuration(flags.ttl);
      if (ttlMs === undefined || ttlMs <= 0)
        throw new GatewayError('GW_TOKEN_ARGUMENT', `--ttl must be a duration like 1h, found '${flags.ttl}'`);
      const claims = Object.fromEntries(flags.claim.map(parseClaim));
      const scopes = flags.scope.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
      const { identity, store } = await openSigning(command, io);
      const { issueToken } = await import('../identity/issue-token.js');
      try {
        const set = await store.ensure();
        const issued = await issueToken(set, {
          subject: flags.sub,
          ttlMs,
          scopes,
          claims,
          issuer: identity.jwt.issuer,
          audience: identity.jwt.audience,
        });
        if (flags.json)
          io.out(
            JSON.stringify(
              { token: issued.token, kid: issued.kid, alg: issued.alg, claims: issued.payload },
              null,
              2,
            ),
          );
        // The token alone on stdout, so TOKEN=$(gw token issue --sub me) just works.
        else io.out(issued.token);
      } finally {
        await store.close();
      }
    });

  withStateOptions(token.command('verify'))
    .description('show the claims of a token, or exactly why it is not valid')
    .argument('<jwt>', 'the token')
    .option('--json', 'print JSON')
    .action(async (jwt: string, flags: { json?: boolean }, command: Command) => {
      const { identity, store } = await openSigning(command, io);
      const { createTokenVerifier } = await import('../identity/token-verifier.js');
      const result = await createTokenVerifier({ jwt: identity.jwt, signingKeys: store }).verify(jwt.trim());
      await store.close();
      if (!result.ok) {
        if (flags.json) io.out(JSON.stringify({ valid: false, reason: result.reason }, null, 2));
        // Also an error (exit status 1), so scripts can test the result.
        throw new GatewayError('GW_TOKEN_INVALID', result.reason);
      }
      const { claims } = result.token;
      const skew = skewUsed(claims, Date.now(), identity.jwt.clockSkew);
      if (flags.json) {
        io.out(JSON.stringify({ valid: true, ...(skew ? { clockSkew: skew } : {}), claims }, null, 2));
        return;
      }
      io.out(`${io.color.green('✔')} valid token for ${result.token.subject}`);
      if (skew) io.out(io.color.yellow(`! ${describeSkew(skew)}`));
      io.out(
        formatTable(
          io.color,
          ['CLAIM', 'VALUE'],
          Object.entries(claims).map(([name, value]) => [name, formatValue(value, name)]),
        ),
      );
    });

  withStateOptions(token.command('rotate-key'))
    .description('add a new signing key pair (served at /.well-known/jwks.json); old tokens stay valid')
    .option('--alg <alg>', 'ES256, EdDSA or HS256', 'ES256')
    .option('--json', 'print JSON')
    .action(async (flags: { alg: string; json?: boolean }, command: Command) => {
      if (!['ES256', 'EdDSA', 'HS256'].includes(flags.alg)) {
        throw new GatewayError(
          'GW_TOKEN_ARGUMENT',
          `--alg must be ES256, EdDSA or HS256, found '${flags.alg}'`,
          {
            hint: 'See `gw token rotate-key --help`.',
          },
        );
      }
      const { store } = await openSigning(command, io);
      try {
        const entry = await store.rotate(flags.alg as SigningAlgorithm);
        if (flags.json)
          io.out(
            JSON.stringify(
              { kid: entry.kid, alg: entry.alg, createdAt: entry.createdAt, publicJwk: entry.publicJwk },
              null,
              2,
            ),
          );
        else {
          io.out(`${io.color.green('✔')} New ${entry.alg} signing key ${entry.kid}`);
          io.out(
            io.color.dim('  New tokens use it; tokens signed with older keys stay valid until they expire.'),
          );
        }
      } finally {
        await store.close();
      }
    });
}
