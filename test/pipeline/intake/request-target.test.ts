import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { acceptAbsoluteForm } from '../../../src/pipeline/intake/request-target.js';

function requestFor(url: string, host = 'client.localhost'): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.headers = { host };
  return req;
}

describe('acceptAbsoluteForm (RFC 9112 §3.2.2)', () => {
  it.each([
    ['http://a.localhost:3000/x/y?q=1', '/x/y?q=1', 'a.localhost:3000'],
    ['HTTPS://a.localhost', '/', 'a.localhost'],
    ['http://a.localhost?q=1', '/?q=1', 'a.localhost'],
    ['http://[::1]:8080/v1', '/v1', '[::1]:8080'],
  ])('%s is routed as %s with Host %s', (target, url, host) => {
    const req = requestFor(target);
    expect(acceptAbsoluteForm(req, target)).toBeUndefined();
    expect(req.url).toBe(url);
    expect(req.headers.host).toBe(host);
  });

  it.each(['http://user@a.localhost/x', 'http:///x', 'http://'])('%s has no usable host: 400', (target) => {
    const req = requestFor(target);
    expect(acceptAbsoluteForm(req, target)?.code).toBe('GW_BAD_REQUEST');
    expect(req.headers.host).toBe('client.localhost');
  });

  it.each(['*', 'ftp://a/x', 'http://a/x#frag', 'a.localhost:80'])(
    '%s is not an http(s) absolute form: left as it is for the path check',
    (target) => {
      const req = requestFor(target);
      expect(acceptAbsoluteForm(req, target)).toBeUndefined();
      expect(req.url).toBe(target);
      expect(req.headers.host).toBe('client.localhost');
    },
  );
});
