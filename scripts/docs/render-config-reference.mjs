// docs/config-reference.md from the config's JSON Schema (see config-json-schema.mjs): one table
// per object, every key with its type, default and the description written in the zod schema.
import { createSlugger } from './markdown-slug.mjs';

const durationUnits = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];
const sizeUnits = [
  ['gb', 1024 ** 3],
  ['mb', 1024 ** 2],
  ['kb', 1024],
];

function inUnits(value, units, smallest) {
  if (value === 0) return `0${smallest}`;
  for (const [unit, size] of units) if (value % size === 0) return `${value / size}${unit}`;
  return `${value}${smallest}`;
}

/** A value as it would be written in a TypeScript config. */
function literal(value) {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

const cell = (text) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Plain prose as markdown: `code spans` stay, characters markdown would read as syntax are escaped. */
const prose = (text) =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\*_<>[\]]/g, (c) => `\\${c}`)))
    .join('');
const code = (text) => `\`${text}\``;

function defaultOf(schema) {
  if (!('default' in schema)) return '';
  const value = schema.default;
  const type = schema['x-gw-type'];
  if (type === 'duration' && typeof value === 'number')
    return code(literal(inUnits(value, durationUnits, 'ms')));
  if (type === 'size' && typeof value === 'number') return code(literal(inUnits(value, sizeUnits, 'b')));
  const text = literal(value);
  return Array.isArray(value) || text.length <= 48 ? code(text) : 'see its keys';
}

function range(schema) {
  const integer = schema.type === 'integer';
  let low = schema.minimum;
  if (schema.exclusiveMinimum !== undefined) low = integer ? schema.exclusiveMinimum + 1 : undefined;
  const high = schema.maximum;
  if (low !== undefined && high !== undefined) return ` ${low}–${high}`;
  if (low !== undefined) return ` ≥ ${low}`;
  if (schema.exclusiveMinimum !== undefined) return ` > ${schema.exclusiveMinimum}`;
  if (high !== undefined) return ` ≤ ${high}`;
  return '';
}

const isObjectWithKeys = (schema) => schema.properties !== undefined;
const branchesOf = (schema) =>
  (schema.anyOf ?? [schema]).flatMap((b) => (b.anyOf && !b['x-gw-type'] ? branchesOf(b) : [b]));
const parentPath = (path) => path.replace(/(\.[^.]*|\[\])$/, '');

/** The shape of an object schema, without what differs between two places that use it. */
function shapeKey(schema) {
  const { description: _description, default: _default, ...shape } = schema;
  return JSON.stringify(shape);
}

export function renderConfigReference(schema) {
  const sections = [];
  const byShape = new Map();
  let pendingChildren;

  /** A section for an object schema (or the one already made for the same shape); its id. */
  function sectionFor(objectSchema, path, form) {
    const key = shapeKey(objectSchema);
    const known = byShape.get(key);
    if (known !== undefined) {
      // The same object under a sibling key (transform.request and .response) shares one table.
      const section = sections[known];
      if (parentPath(section.path) === parentPath(path) && !section.paths.includes(path))
        section.paths.push(path);
      return known;
    }
    const section = { id: sections.length, path, paths: [path], form, schema: objectSchema, children: [] };
    sections.push(section);
    byShape.set(key, section.id);
    pendingChildren?.push(section.id);
    return section.id;
  }

  function titleOf(section) {
    if (section.path === '') return 'Top level';
    const keys = Object.keys(section.schema.properties).join(', ');
    return `${section.paths.map(code).join(', ')}${section.form ? ` as ${code(`{ ${keys} }`)}` : ''}`;
  }

  function typeOf(node, path, form = false) {
    const named = node['x-gw-type'];
    if (named) return code(named);
    if ('const' in node) return code(literal(node.const));
    if (node.enum) return node.enum.map((v) => code(literal(v))).join(' | ');
    if (node.anyOf) {
      const branches = branchesOf(node);
      const forms = branches.filter(isObjectWithKeys).length > 1;
      return [...new Set(branches.map((b) => typeOf(b, path, forms)))].join(' | ');
    }
    if (node.type === 'array') {
      if (Array.isArray(node.items))
        return `[${node.items.map((item) => typeOf(item, `${path}[]`)).join(', ')}]`;
      const item = typeOf(node.items ?? {}, `${path}[]`);
      return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
    }
    if (isObjectWithKeys(node)) return `[object](#@${sectionFor(node, path, form)}@)`;
    if (node.type === 'object') {
      const values = node.additionalProperties;
      return values && typeof values === 'object'
        ? `{ [name]: ${typeOf(values, `${path}.<name>`)} }`
        : code('object');
    }
    if (node.type === 'number' || node.type === 'integer') return `${code(node.type)}${range(node)}`;
    if (typeof node.type === 'string') return code(node.type);
    if (Array.isArray(node.type)) return node.type.map(code).join(' | ');
    if (node.not && Object.keys(node.not).length === 0) return code('never');
    return code('any');
  }

  function rowsOf(section) {
    pendingChildren = section.children;
    const required = new Set(section.schema.required ?? []);
    const rows = Object.entries(section.schema.properties).map(([key, node]) => {
      const path = section.path === '' ? key : `${section.path}.${key}`;
      const name = `${code(key)}${required.has(key) ? ' (required)' : ''}`;
      return `| ${name} | ${cell(typeOf(node, path))} | ${cell(defaultOf(node))} | ${cell(prose(node.description ?? ''))} |`;
    });
    pendingChildren = undefined;
    return rows;
  }

  // Depth first: each table, then the tables of the objects inside it. Titles and anchors are
  // filled in at the end, once every path that shares a table is known.
  const body = [];
  const order = [];
  const visit = (id, depth) => {
    const section = sections[id];
    section.depth = depth;
    order.push(section);
    const rows = rowsOf(section);
    body.push(`## @title:${id}@`, '');
    if (section.schema.description && section.path !== '') body.push(prose(section.schema.description), '');
    body.push('| key | type | default | description |', '| --- | --- | --- | --- |', ...rows, '');
    for (const child of section.children) visit(child, depth + 1);
  };
  visit(sectionFor(schema, ''), 0);

  const slug = createSlugger();
  const intro = [
    '# Config reference',
    '',
    '<!-- Generated by `npm run docs` from the zod schema; edit the descriptions there, not this file. -->',
    '',
    'Every key of `gateway.config.*`: its type, default and description, generated from the zod',
    'schema in [src/config/schema.ts](../src/config/schema.ts), which gathers the schema each policy',
    'keeps beside its code. The guides explain the keys with examples: start at [config.md](config.md).',
    'The same schema is shipped as JSON Schema for editors:',
    '[gateway.config.schema.json](../gateway.config.schema.json).',
    '',
    "- `duration`: milliseconds, or a string such as `'500ms'`, `'10s'`, `'1m'`, `'2h'`, `'1d'`.",
    "- `size`: bytes, or a string such as `'512b'`, `'64kb'`, `'1mb'`, `'1gb'` (1 kb = 1024 bytes).",
    '- `function`, `RegExp`: only in TypeScript and JavaScript configs.',
    '- `a | b`: either; `(required)`: the key must be given; `[name]`: a name you choose.',
    '',
  ];
  slug('Config reference');
  const anchors = new Map(order.map((section) => [section.id, slug(titleOf(section))]));
  const contents = order.map(
    (section) =>
      `${'  '.repeat(Math.max(0, section.depth - 1))}- [${titleOf(section)}](#${anchors.get(section.id)})`,
  );
  const text = [...intro, ...contents, '', ...body]
    .join('\n')
    .replace(/#@(\d+)@/g, (_m, id) => `#${anchors.get(Number(id))}`)
    .replace(/@title:(\d+)@/g, (_m, id) => titleOf(sections[Number(id)]));
  return text.trimEnd() + '\n';
}
