import { describe, expect, it } from 'vitest';
import { compileAllowedHosts } from '../../src/pipeline/allowed-hosts.js';

const codeFor = (hosts: ReturnType<typeof compileAllowedHosts>, host: string | undefined) =>
  hosts.check(host)?.code ?? 'ok';

describe('allowedHosts matcher', () => {
  const defaults = compileAllowedHosts({ host: '127.0.0.1' });
  it.each([
    ['localhost', 'ok'],
    ['localhost:8080', 'ok'],
    ['LocalHost.', 'ok'],
    ['app.localhost:5173', 'ok'],
    ['127.0.0.1:8080', 'ok'],
    ['10.0.0.7', 'ok'],
    ['[::1]:8080', 'ok'],
    [undefined, 'ok'],
    ['evil.example', 'GW_HOST_NOT_ALLOWED'],
    ['localhost.evil.example', 'GW_HOST_NOT_ALLOWED'],
    ['127.0.0.1.evil.example', 'GW_HOST_NOT_ALLOWED'],
    ['evillocalhost', 'GW_HOST_NOT_ALLOWED'],
    ['999.0.0.1', 'GW_HOST_NOT_ALLOWED'],
    ['a b', 'GW_HOST_INVALID'],
    ['a/b@c', 'GW_HOST_INVALID'],
    ['', 'GW_HOST_INVALID'],
    ['localhost:80:80', 'GW_HOST_INVALID'],
    ['[::1', 'GW_HOST_INVALID'],
  ])('by default, Host %j is %s', (host, expected) => {
    expect(codeFor(defaults, host)).toBe(expected);
    // The verdict cache answers a repeat the same way.
    expect(codeFor(defaults, host)).toBe(expected);
  });

  it('admits the bind address, listed names, leading-dot domains and *. subdomains', () => {
    const hosts = compileAllowedHosts(
      { host: 'devbox.lan', allowedHosts: ['API.test', '.example.test', '*.dev.test'] },
      'other.lan',
    );
    for (const ok of [
      'devbox.lan:8080',
      'other.lan',
      'api.test',
      'example.test',
      'x.y.example.test',
      'a.dev.test',
    ])
      expect(codeFor(hosts, ok), ok).toBe('ok');
    for (const denied of ['dev.test', 'xapi.test', 'example.test.evil.example'])
      expect(codeFor(hosts, denied), denied).toBe('GW_HOST_NOT_ALLOWED');
  });

  it('allowedHosts: true admits any name but still refuses what is not a host', () => {
    const any = compileAllowedHosts({ host: '0.0.0.0', allowedHosts: true });
    expect(codeFor(any, 'evil.example')).toBe('ok');
    expect(codeFor(any, 'a b')).toBe('GW_HOST_INVALID');
  });
});
