import type { Field, IConversionOptions, Type } from 'protobufjs';
import { GatewayError } from '../../../errors.js';
import { fieldOf } from '../proto/grpc-methods.js';
import { protobufjs } from '../proto/protobuf-lib.js';

/**
 * The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/) on top of protobufjs:
 * a request's JSON is checked and brought to protobufjs's object shape (field names by JSON or
 * proto name, int64 as strings or numbers, enums by name or number, unknown fields refused as
 * protojson does), then fromObject/encode; an answer is decoded and written with lowerCamel
 * names, 64-bit integers as strings, enums by name and bytes as base64, default values left out.
 */

const toObjectOptions: IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  json: true,
};

export function encodeRequest(type: Type, json: Record<string, unknown>): Uint8Array {
  const object = normalizeMessage(type, json, '');
  try {
    return type.encode(type.fromObject(object)).finish();
  } catch (error) {
    // A well-known type's JSON form that does not parse (well-known-json.ts), or protobufjs's own refusal.
    throw new GatewayError('GW_TRANSCODE_INVALID_MESSAGE', `${type.name}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export function decodeAnswer(type: Type, bytes: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(bytes), toObjectOptions);
}

function invalid(at: string, what: string): GatewayError {
  return new GatewayError('GW_TRANSCODE_INVALID_MESSAGE', `${at || 'the message'}: ${what}`, {
    extensions: { field: at },
  });
}

function normalizeMessage(type: Type, value: unknown, at: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(at, `expected an object for ${type.name}`);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = fieldOf(type, key);
    const where = at ? `${at}.${key}` : key;
    if (!field) throw invalid(where, `${type.name} has no field ${key}`);
    if (item === null) continue;
    field.resolve();
    if (field.map) {
      if (typeof item !== 'object' || Array.isArray(item)) throw invalid(where, 'expected an object (a map)');
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(item as object)) map[k] = normalizeValue(field, v, `${where}.${k}`);
      out[field.name] = map;
    } else if (field.repeated) {
      if (!Array.isArray(item)) throw invalid(where, 'expected an array');
      out[field.name] = item.map((v, n) => normalizeValue(field, v, `${where}[${n}]`));
    } else out[field.name] = normalizeValue(field, item, where);
  }
  return out;
}

const int32Types = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const int64Types = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

export function normalizeValue(field: Field, value: unknown, at: string): unknown {
  const resolved: unknown = field.resolvedType;
  const protobuf = protobufjs();
  if (resolved instanceof protobuf.Type) {
    // Well-known types take their JSON forms (proto/well-known-json.ts): converted here, since a
    // message's fromObject wants an object for each message field.
    if (resolved.fullName.startsWith('.google.protobuf.')) {
      try {
        return resolved.fromObject(value as Record<string, unknown>);
      } catch (error) {
        throw invalid(at, (error as Error).message);
      }
    }
    return normalizeMessage(resolved, value, at);
  }
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    throw invalid(at, `expected one of ${Object.keys(resolved.values).join(', ')}`);
  }
  const type = field.type;
  if (type === 'string') {
    if (typeof value !== 'string') throw invalid(at, 'expected a string');
    return value;
  }
  if (type === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw invalid(at, 'expected true or false');
  }
  if (type === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value))
      throw invalid(at, 'expected base64');
    return value;
  }
  if (int64Types.has(type)) {
    if (
      (typeof value === 'number' && Number.isInteger(value)) ||
      (typeof value === 'string' && /^-?\d+$/.test(value))
    )
      return String(value);
    throw invalid(at, 'expected an integer (a string for 64-bit values)');
  }
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) throw invalid(at, 'expected a number');
  if (int32Types.has(type) && !Number.isInteger(number)) throw invalid(at, 'expected an integer');
  return number;
}
