import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { anchorsOf, createSlugger } from '../../scripts/docs/markdown-slug.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(file);
    return entry.name.endsWith('.md') ? [file] : [];
  });
}

/** Link targets of a page, outside code fences and code spans: `[text](target)` and `[ref]: target`. */
function linksOf(markdown: string): string[] {
  const links: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const text = line.replace(/`[^`]*`/g, '``');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(match[1]!);
    const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(text);
    if (reference) links.push(reference[1]!);
  }
  return links;
}

/** What is wrong with a relative link from `page`, or undefined when it resolves. */
function brokenReason(page: string, link: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return undefined; // https:, mailto: … are not checked here
  const [target = '', anchor] = link.split('#', 2);
  const file = target === '' ? page : path.resolve(path.dirname(page), decodeURIComponent(target));
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return `${target} does not exist`;
  }
  if (anchor === undefined || !isFile || !file.endsWith('.md')) return undefined;
  return anchorsOf(readFileSync(file, 'utf8')).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${path.relative(root, file)}`;
}

const pages = [path.join(root, 'README.md'), ...markdownFiles(path.join(root, 'docs'))];

describe('links in README.md and docs/', () => {
  it('finds the pages and their links', () => {
    expect(pages.length).toBeGreaterThan(1);
    expect(linksOf(readFileSync(pages[0]!, 'utf8')).length).toBeGreaterThan(0);
  });

  it.each(pages.map((page) => [path.relative(root, page), page]))(
    'every relative link in %s resolves',
    (_name, page) => {
      const broken = linksOf(readFileSync(page, 'utf8'))
        .map((link) => ({ link, reason: brokenReason(page, link) }))
        .filter((result) => result.reason !== undefined);
      expect(broken).toEqual([]);
    },
  );
});

describe('the link checker', () => {
  it('makes anchors the way GitHub does', () => {
    const slug = createSlugger();
    expect(slug('`routes[].rateLimit` as `{ limits, by, tiers }`')).toBe(
      'routesratelimit-as--limits-by-tiers-',
    );
    expect(slug('Protecting routes: `auth`, `scopes`')).toBe('protecting-routes-auth-scopes');
    expect(slug('Protecting routes: `auth`, `scopes`')).toBe('protecting-routes-auth-scopes-1');
  });

  it('reads headings outside code fences only, and finds inline and reference links', () => {
    const page =
      '# Title\n\n```sh\n# not a heading [x](nope.md)\n```\n\nSee [a](#title) and `[b](#code)`.\n\n[c]: other.md#part\n';
    expect([...anchorsOf(page)]).toEqual(['title']);
    expect(linksOf(page)).toEqual(['#title', 'other.md#part']);
  });

  it('reports a missing file and a missing anchor', () => {
    const readme = path.join(root, 'README.md');
    expect(brokenReason(readme, 'docs/no-such-page.md')).toBe('docs/no-such-page.md does not exist');
    expect(brokenReason(readme, '#no-such-heading')).toBe('no heading #no-such-heading in README.md');
    expect(brokenReason(readme, 'https://example.com/x#y')).toBeUndefined();
  });
});
