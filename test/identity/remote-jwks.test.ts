import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileSigningKeyStore } from '../../src/state/signing-keys/file-signing-key-store.js';
import { identitySchema } from '../../src/identity/identity-schema.js';
import { createTokenVerifier } from '../../src/identity/token-verifier.js';
import { startTestIdp, type TestIdp } from '../helpers/jwks-server.js';
import { createTempStateDir } from './temp-state.js';

let idp: TestIdp;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  idp = await startTestIdp();
  cleanup = () => idp.close();
});
afterEach(() => cleanup());

async function verifierFor(cooldown: number) {
  const temp = await createTempStateDir();
  const signingKeys = await createFileSigningKeyStore({ stateDir: temp.dir });
  const { jwt } = identitySchema.parse({
    jwt: { trust: [{ issuer: idp.issuer, audience: 'orders-api', jwksUri: idp.jwksUri, cooldown }] },
  });
  const previous = cleanup;
  cleanup = async () => {
    await previous();
    await temp.remove();
  };
  return createTokenVerifier({ jwt, signingKeys });
}

describe('remote JWKS trust', () => {
  it('verifies tokens of a trusted issuer and caches its key set', async () => {
    const verifier = await verifierFor(30_000);
    const token = await idp.sign({ sub: 'alice', scp: ['orders:write'] });
    expect(await verifier.verify(token)).toMatchObject({
      ok: true,
      token: { subject: 'alice', scopes: ['orders:write'] },
    });
    const second = await idp.sign({ sub: 'bob' });
    expect((await verifier.verify(second)).ok).toBe(true);
    expect(idp.fetches).toBe(1);
  });

  it('refetches the key set on an unknown kid after rotation, and keeps refusing unknown keys', async () => {
    const verifier = await verifierFor(50);
    expect((await verifier.verify(await idp.sign({ sub: 'alice' }))).ok).toBe(true);
    await idp.rotate({ retire: true });
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the refetch cooldown
    const rotated = await idp.sign({ sub: 'alice' });
    expect((await verifier.verify(rotated)).ok).toBe(true);
    expect(idp.fetches).toBe(2);
  });

  it('does not refetch within the cooldown (protects the issuer from unknown-kid floods)', async () => {
    const verifier = await verifierFor(60_000);
    expect((await verifier.verify(await idp.sign({ sub: 'alice' }))).ok).toBe(true);
    await idp.rotate({ retire: true });
    const result = await verifier.verify(await idp.sign({ sub: 'alice' }));
    expect(result).toEqual({ ok: false, reason: "No known key matches the token's kid" });
    expect(idp.fetches).toBe(1);
  });

  it("refuses a trusted issuer's token for another audience", async () => {
    const verifier = await verifierFor(30_000);
    const result = await verifier.verify(await idp.sign({ sub: 'alice' }, { audience: 'billing' }));
    expect(result).toEqual({ ok: false, reason: 'The token is meant for another audience' });
  });
});
