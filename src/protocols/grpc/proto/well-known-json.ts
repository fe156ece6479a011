import type { IConversionOptions, Message, Type } from 'protobufjs';
import { protobufjs } from './protobuf-lib.js';

/**
 * The proto3 JSON forms of the well-known types (https://protobuf.dev/programming-guides/json/),
 * which protobufjs leaves as plain messages: Timestamp as RFC 3339 text, Duration as "1.5s",
 * the wrappers (Int64Value …) as their bare value, Struct/Value/ListValue as any JSON, FieldMask
 * as "a.b,c". Installed once in protobufjs's wrapper table, as gw loads its first proto; a message
 * that already has the message shape (an object) is left to protobufjs as it was.
 */

type Plain = Record<string, unknown>;
/** Inside a wrapper, `this` is the type with protobufjs's own conversions. */
type Bound = Type;

function install(
  name: string,
  from: (this: Bound, value: unknown) => Message | undefined,
  to: (this: Bound, message: Message, options?: IConversionOptions) => unknown,
): void {
  protobufjs().wrappers[`.google.protobuf.${name}`] = {
    fromObject(this: Type, value: Plain) {
      // Already a message (a nested conversion): protobufjs hands it back as it is.
      if (value instanceof this.ctor) return this.fromObject(value);
      return from.call(this, value) ?? this.fromObject(value);
    },
    toObject(this: Type, message: Message, options?: IConversionOptions) {
      return (options?.json ? to.call(this, message, options) : this.toObject(message, options)) as Plain;
    },
  };
}

const toNumber = (value: unknown): number =>
  typeof value === 'number'
    ? value
    : typeof value === 'string'
      ? Number(value)
      : Number(
          protobufjs()
            .util.LongBits.from(value as number)
            .toNumber(),
        );

let installed = false;

export function installWellKnownJson(): void {
  if (installed) return;
  installed = true;
  install(
    'Timestamp',
    function (value) {
      if (typeof value !== 'string') return undefined;
      const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(value);
      const millis = match ? Date.parse(`${match[1]}${match[3]}`) : NaN;
      if (!match || Number.isNaN(millis)) throw new TypeError(`"${value}" is not an RFC 3339 timestamp`);
      return this.fromObject({
        seconds: Math.floor(millis / 1000),
        nanos: Number((match[2] ?? '').padEnd(9, '0')),
      });
    },
    function (message) {
      const plain = this.toObject(message, { longs: Number });
      const seconds = toNumber(plain.seconds ?? 0);
      const nanos = Number(plain.nanos ?? 0);
      const base = new Date(seconds * 1000).toISOString().slice(0, 19);
      const fraction =
        nanos === 0
          ? ''
          : `.${String(nanos)
              .padStart(9, '0')
              .replace(/(000)+$/, '')}`;
      return `${base}${fraction}Z`;
    },
  );
  install(
    'Duration',
    function (value) {
      if (typeof value !== 'string') return undefined;
      const match = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value);
      if (!match) throw new TypeError(`"${value}" is not a duration like "1.5s"`);
      const sign = match[1] ? -1 : 1;
      return this.fromObject({
        seconds: sign * Number(match[2]),
        nanos: sign * Number((match[3] ?? '').padEnd(9, '0')),
      });
    },
    function (message) {
      const plain = this.toObject(message, { longs: Number });
      const seconds = toNumber(plain.seconds ?? 0);
      const nanos = Number(plain.nanos ?? 0);
      const negative = seconds < 0 || nanos < 0;
      const fraction =
        nanos === 0
          ? ''
          : `.${String(Math.abs(nanos))
              .padStart(9, '0')
              .replace(/(000)+$/, '')}`;
      return `${negative ? '-' : ''}${Math.abs(seconds)}${fraction}s`;
    },
  );
  for (const name of [
    'DoubleValue',
    'FloatValue',
    'Int64Value',
    'UInt64Value',
    'Int32Value',
    'UInt32Value',
    'BoolValue',
    'StringValue',
    'BytesValue',
  ]) {
    install(
      name,
      function (value) {
        return value !== null && typeof value === 'object' ? undefined : this.fromObject({ value });
      },
      function (message, options) {
        return this.toObject(message, { ...options, defaults: true }).value;
      },
    );
  }
  install(
    'FieldMask',
    function (value) {
      return typeof value === 'string'
        ? this.fromObject({ paths: value === '' ? [] : value.split(',') })
        : undefined;
    },
    function (message) {
      return ((this.toObject(message).paths as string[] | undefined) ?? []).join(',');
    },
  );
  install(
    'Value',
    function (value) {
      return toValue(this, value);
    },
    function (message, options) {
      return jsonOfValue(this.toObject(message, { ...options, json: false }));
    },
  );
  install(
    'Struct',
    function (value) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new TypeError('a Struct is a JSON object');
      return toStruct(this, value as Plain);
    },
    function (message, options) {
      return jsonOfStruct(this.toObject(message, { ...options, json: false }));
    },
  );
  install(
    'ListValue',
    function (value) {
      if (!Array.isArray(value)) throw new TypeError('a ListValue is a JSON array');
      return toList(this, value);
    },
    function (message, options) {
      return ((this.toObject(message, { ...options, json: false }).values as Plain[] | undefined) ?? []).map(
        jsonOfValue,
      );
    },
  );
}

/** JSON into Value/Struct/ListValue messages, built with create() so no conversion runs twice. */
function toValue(from: Type, value: unknown): Message {
  const type = from.lookupType('.google.protobuf.Value');
  if (value === null) return type.create({ nullValue: 0 });
  if (typeof value === 'number') return type.create({ numberValue: value });
  if (typeof value === 'string') return type.create({ stringValue: value });
  if (typeof value === 'boolean') return type.create({ boolValue: value });
  if (Array.isArray(value)) return type.create({ listValue: toList(from, value) });
  if (typeof value === 'object') return type.create({ structValue: toStruct(from, value as Plain) });
  throw new TypeError('a Value is any JSON value');
}

function toStruct(from: Type, value: Plain): Message {
  const fields: Record<string, Message> = {};
  for (const [key, item] of Object.entries(value)) fields[key] = toValue(from, item);
  return from.lookupType('.google.protobuf.Struct').create({ fields });
}

function toList(from: Type, values: readonly unknown[]): Message {
  return from
    .lookupType('.google.protobuf.ListValue')
    .create({ values: values.map((item) => toValue(from, item)) });
}

function jsonOfValue(plain: Plain): unknown {
  if ('structValue' in plain) return jsonOfStruct(plain.structValue as Plain);
  if ('listValue' in plain)
    return (((plain.listValue as Plain).values as Plain[] | undefined) ?? []).map(jsonOfValue);
  if ('stringValue' in plain) return plain.stringValue;
  if ('numberValue' in plain) return plain.numberValue;
  if ('boolValue' in plain) return plain.boolValue;
  return null;
}

function jsonOfStruct(plain: Plain): Plain {
  const json: Plain = {};
  for (const [key, item] of Object.entries((plain.fields as Record<string, Plain> | undefined) ?? {}))
    json[key] = jsonOfValue(item);
  return json;
}
