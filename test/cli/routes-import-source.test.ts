import { describe, expect, it } from 'vitest';
import { appendEntries, findLiteral } from '../../src/cli/routes-import-source.js';

/** `gw routes import --write` edits a config's source as text: where entries go, and what stays. */

const add = (source: string, key = 'routes', open: '[' | '{' = '[') => {
  const span = findLiteral(source, key, open);
  if (!span) return undefined;
  return appendEntries(source, span, open === '[' ? ["{ path: '/b' }"] : ["b: { mock: 'openapi' }"]);
};

describe('routes import: source edits', () => {
  it.each([
    [
      'an empty array',
      'export default { routes: [] };\n',
      "export default { routes: [\n  { path: '/b' },\n] };\n",
    ],
    [
      'a last entry without a comma, with a comment after it',
      "export default {\n  routes: [\n    { path: '/a' } // first\n  ],\n};\n",
      "export default {\n  routes: [\n    { path: '/a' }, // first\n    { path: '/b' },\n  ],\n};\n",
    ],
    [
      'strings and comments that look like keys',
      "// routes: [ nope ]\nconst s = 'routes: [';\nexport default { routes: [{ path: '/a', note: ']' },\n  ] };\n",
      "// routes: [ nope ]\nconst s = 'routes: [';\nexport default { routes: [{ path: '/a', note: ']' },\n  { path: '/b' },\n  ] };\n",
    ],
    [
      "the config's own routes, not an aggregate's nested ones",
      "export default {\n  x: { y: { routes: [1] } },\n  routes: [\n    { path: '/a' },\n  ],\n};\n",
      "export default {\n  x: { y: { routes: [1] } },\n  routes: [\n    { path: '/a' },\n    { path: '/b' },\n  ],\n};\n",
    ],
  ])('%s', (_name, source, expected) => {
    expect(add(source)).toBe(expected);
  });

  it('adds a service to a quoted-key services object', () => {
    expect(
      add("export default { 'services': {\n    a: { targets: [] },\n  }, routes: [] };\n", 'services', '{'),
    ).toBe(
      "export default { 'services': {\n    a: { targets: [] },\n    b: { mock: 'openapi' },\n  }, routes: [] };\n",
    );
  });

  it('finds nothing when routes are built elsewhere', () => {
    expect(findLiteral('const routes = [];\nexport default { routes };\n', 'routes', '[')).toBeUndefined();
  });
});
