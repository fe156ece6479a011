import { describe, expect, it } from 'vitest';
import { stripIdentityHeaders, writeIdentityHeaders } from '../../src/middleware/identity-headers.js';

describe('identity headers', () => {
  it('removes every spelling a client could use to claim an identity', () => {
    const headers = {
      'x-client-id': 'admin',
      'x-user-id': 'root',
      'x-scopes': 'everything',
      x_client_id: 'admin',
      x_user_id: 'root',
      x_scopes: 'everything',
      'x-client_id': 'admin',
      'x-request-id': 'keep-me',
      accept: 'application/json',
    };
    stripIdentityHeaders(headers);
    expect(headers).toEqual({ 'x-request-id': 'keep-me', accept: 'application/json' });
  });

  it('writes the verified identity: key name as client, token subject as user, scopes', () => {
    const headers = {};
    writeIdentityHeaders(headers, { kind: 'apiKey', id: 'key_1', name: 'mobile-app', scopes: ['a', 'b'] });
    expect(headers).toEqual({ 'x-client-id': 'mobile-app', 'x-scopes': 'a b' });
    const fromToken = {};
    writeIdentityHeaders(fromToken, {
      kind: 'jwt',
      id: 'gw#u1',
      name: 'u1',
      subject: 'u1',
      scopes: [],
      claims: { azp: 'web' },
    });
    expect(fromToken).toEqual({ 'x-user-id': 'u1', 'x-client-id': 'web' });
  });

  it('leaves other headers alone', () => {
    const headers = { 'x-clientid': 'a', 'x-user': 'b', 'x-api-key': 'c' };
    stripIdentityHeaders(headers);
    expect(headers).toEqual({ 'x-clientid': 'a', 'x-user': 'b', 'x-api-key': 'c' });
  });
});
