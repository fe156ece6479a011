import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { grpcWireOf, percentEncodeGrpcMessage } from '../../src/protocols/grpc/grpc-protocol.js';
import { grpcStatusName, grpcStatusOf } from '../../src/protocols/grpc/grpc-status.js';
import { formatGrpcTimeout, parseGrpcTimeout } from '../../src/protocols/grpc/grpc-timeout.js';

describe('grpcWireOf', () => {
  it.each([
    ['application/grpc', 'grpc'],
    ['application/grpc+proto', 'grpc'],
    ['Application/GRPC+json', 'grpc'],
    ['application/grpc; charset=utf-8', 'grpc'],
    ['application/grpc-web', 'grpc-web'],
    ['application/grpc-web+proto', 'grpc-web'],
    ['application/grpc-web-text', 'grpc-web-text'],
    ['application/grpc-web-text+proto', 'grpc-web-text'],
    ['application/grpcx', undefined],
    ['application/grpc-webby', undefined],
    ['application/json', undefined],
    [undefined, undefined],
  ])('%s → %s', (type, wire) => {
    expect(grpcWireOf({ 'content-type': type })).toBe(wire);
  });
});

describe('percentEncodeGrpcMessage', () => {
  it.each([
    ['plain text: ok', 'plain text: ok'],
    ['100% sure', '100%25 sure'],
    ['line\nbreak', 'line%0Abreak'],
    ['café — done', 'caf%C3%A9 %E2%80%94 done'],
  ])('%j → %j', (message, encoded) => {
    expect(percentEncodeGrpcMessage(message)).toBe(encoded);
  });
});

describe('grpc-timeout', () => {
  it.each([
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['3S', 3000],
    ['250m', 250],
    ['1500u', 1.5],
    ['2000000n', 2],
    ['99999999m', 99_999_999],
  ])('parses %s as %d ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms);
  });

  it.each(['', '10', 'm', '123456789m', '1.5S', '-1S', '10s', '10 S'])('refuses %j', (value) => {
    expect(parseGrpcTimeout(value)).toBeUndefined();
  });

  it.each([
    [0.2, '1m'],
    [250.1, '251m'],
    [99_999_999, '99999999m'],
    [100_000_000, '100000S'],
  ])('formats %d ms as %s', (ms, value) => {
    expect(formatGrpcTimeout(ms)).toBe(value);
    expect(parseGrpcTimeout(value)).toBeGreaterThanOrEqual(ms);
  });
});

describe('grpcStatusOf: the gRPC status a gw refusal answers with', () => {
  it.each([
    ['GW_UNAUTHENTICATED', 16],
    ['GW_INVALID_CREDENTIALS', 16],
    ['GW_FORBIDDEN', 7],
    ['GW_RATE_LIMITED', 8],
    ['GW_BODY_TOO_LARGE', 8],
    ['GW_ROUTE_NOT_FOUND', 12],
    ['GW_METHOD_NOT_ALLOWED', 12],
    ['GW_UPSTREAM_UNREACHABLE', 14],
    ['GW_NO_HEALTHY_TARGET', 14],
    ['GW_CIRCUIT_OPEN', 14],
    ['GW_UPSTREAM_CONNECT_TIMEOUT', 14],
    ['GW_UPSTREAM_TIMEOUT', 4],
    ['GW_UPSTREAM_IDLE_TIMEOUT', 4],
    ['GW_INTERNAL', 13],
    ['GW_BAD_REQUEST', 3],
  ] as const)('%s → %d', (code, status) => {
    expect(grpcStatusOf(new GatewayError(code, 'x'))).toBe(status);
  });

  it('an injected fault answers by the HTTP status it was given', () => {
    expect(grpcStatusOf(new GatewayError('GW_FAULT_INJECTED', 'x'))).toBe(14);
    expect(grpcStatusOf(new GatewayError('GW_FAULT_INJECTED', 'x', { status: 500 }))).toBe(13);
    expect(grpcStatusOf(new GatewayError('GW_FAULT_INJECTED', 'x', { status: 429 }))).toBe(8);
  });

  it('names statuses', () => {
    expect(grpcStatusName('0')).toBe('OK');
    expect(grpcStatusName(14)).toBe('UNAVAILABLE');
    expect(grpcStatusName('16')).toBe('UNAUTHENTICATED');
    expect(grpcStatusName('17')).toBeUndefined();
    expect(grpcStatusName('x')).toBeUndefined();
  });
});
