import { describe, expect, it } from 'vitest';
import { randomSpanId, randomTraceId } from '../../../src/observe/trace/trace-ids.js';

describe('trace and span ids', () => {
  it('are lowercase hex of the W3C lengths, never all zero, and do not repeat across pool refills', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    // Several refills of the 4 KiB pool, spans and traces interleaved as requests draw them.
    for (let i = 0; i < 3000; i++) {
      const trace = randomTraceId();
      const span = randomSpanId();
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      expect(trace).not.toBe('0'.repeat(32));
      expect(span).not.toBe('0'.repeat(16));
      traces.add(trace);
      spans.add(span);
    }
    expect(traces.size).toBe(3000);
    expect(spans.size).toBe(3000);
  });
});
