/** The text a heading shows: code spans, emphasis and links reduced to their words. */
export declare function headingText(markdown: string): string;
/** A slugger for one page: each call returns the anchor of the next heading, as GitHub makes it. */
export declare function createSlugger(): (heading: string) => string;
/** Every anchor a markdown page defines: headings outside code fences, and explicit `<a id>`s. */
export declare function anchorsOf(markdown: string): Set<string>;
