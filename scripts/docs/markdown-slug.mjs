// Heading anchors the way GitHub makes them (github-slugger): the heading's text, lower-cased,
// without punctuation, spaces as '-', and '-1', '-2' … for repeats within one page.

/** The text a heading shows: code spans, emphasis and links reduced to their words. */
export function headingText(markdown) {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .replace(/\*\*?/g, '')
    .trim();
}

/** A slugger for one page: each call returns the anchor of the next heading. */
export function createSlugger() {
  const seen = new Map();
  return (markdown) => {
    const base = headingText(markdown)
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  };
}

/** Every anchor a markdown page defines: headings outside code fences, and explicit `<a id>`s. */
export function anchorsOf(markdown) {
  const slug = createSlugger();
  const anchors = new Set();
  let fence;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) anchors.add(slug(heading[1]));
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  }
  return anchors;
}
