import type { EventStream } from '../../events/event-stream.js';
import type { GatewayState } from '../../state/types.js';
import { KEPT_REQUESTS } from '../har-log.js';
import { BodyCapture, type CaptureLimits, type TakeSpace } from './body-capture.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_TOTAL_BYTES, type InspectOptions } from './inspect-schema.js';

/**
 * Where the bodies of the last requests live, once per process (across reloads): each finished
 * request's capture is sealed and queued; while the kept bytes pass inspect.maxTotalBytes the
 * oldest captures let their bodies go. The count is exact: the sum of the sealed buffers' sizes.
 */
export interface InspectStore {
  /** What `inspect.bodies` means when the config leaves it out (`gw dev` decides). */
  defaultOn: boolean;
  /** Turns keeping on for this config (once subscribed, stays so); undefined when bodies are off. */
  configure(options: InspectOptions, events: EventStream): CaptureLimits | undefined;
  /** Body bytes kept right now. */
  readonly keptBytes: number;
  /** Requests whose bodies are kept right now. */
  readonly keptRequests: number;
  readonly maxTotalBytes: number;
  readonly maxBodyBytes: number;
  readonly redact: readonly string[];
}

const stores = new WeakMap<GatewayState, InspectStore>();

export function inspectStoreOf(state: GatewayState): InspectStore {
  let store = stores.get(state);
  if (!store) {
    store = createInspectStore();
    stores.set(state, store);
  }
  return store;
}

function createInspectStore(): InspectStore {
  // A queue with a moving head: the oldest capture is at `queue[head]`.
  let queue: (BodyCapture | undefined)[] = [];
  let head = 0;
  let keptBytes = 0;
  let maxTotalBytes = DEFAULT_MAX_TOTAL_BYTES;
  let limits: CaptureLimits = { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, redact: [] };
  let subscribed = false;
  const take = createSlabs();

  const evictOldest = () => {
    const oldest = queue[head];
    queue[head] = undefined;
    head += 1;
    if (oldest) {
      keptBytes -= oldest.keptBytes;
      oldest.drop();
    }
    // Compact once the dead head is half the array: amortised O(1) per request.
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  const trim = () => {
    while (keptBytes > maxTotalBytes || queue.length - head > KEPT_REQUESTS) evictOldest();
  };
  const keep = (capture: BodyCapture) => {
    keptBytes += capture.seal(take);
    queue.push(capture);
    trim();
  };

  return {
    defaultOn: false,
    configure(options, events) {
      if (!(options.bodies ?? this.defaultOn)) return undefined;
      maxTotalBytes = options.maxTotalBytes;
      if (limits.maxBodyBytes !== options.maxBodyBytes || !sameList(limits.redact, options.redact))
        limits = { maxBodyBytes: options.maxBodyBytes, redact: [...options.redact] };
      trim();
      if (!subscribed) {
        subscribed = true;
        events.subscribe(
          (event) => {
            if (event.type !== 'request-finished' || event.bodies === undefined) return;
            // Sealed here, once: a capture from anywhere else is not ours to count.
            if (event.bodies instanceof BodyCapture) keep(event.bodies);
          },
          { skip: ['request-started', 'limit-checked', 'auth-failed', 'upstream-error'] },
        );
      }
      return limits;
    },
    get keptBytes() {
      return keptBytes;
    },
    get keptRequests() {
      let count = 0;
      for (let i = head; i < queue.length; i++) if (queue[i]?.kept) count++;
      return count;
    },
    get maxTotalBytes() {
      return maxTotalBytes;
    },
    get maxBodyBytes() {
      return limits.maxBodyBytes;
    },
    get redact() {
      return limits.redact;
    },
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** Bodies share slabs of this size; a body over a quarter of it gets a buffer of its own. */
const SLAB_BYTES = 256 * 1024;

/**
 * Memory for sealed bodies, handed out one after another from shared slabs: one allocation per
 * 256 KB instead of one per body (an ArrayBuffer per small body cost more than the copy). Bodies
 * go oldest first, so the oldest slab is free as soon as its last body went: beyond the kept bytes,
 * at most the slab being filled and the oldest, part-evicted one are held.
 */
function createSlabs(): TakeSpace {
  let slab = Buffer.allocUnsafeSlow(0);
  let used = 0;
  return (size) => {
    if (size > SLAB_BYTES / 4) return { slab: Buffer.allocUnsafeSlow(size), offset: 0 };
    if (used + size > slab.length) {
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      used = 0;
    }
    const offset = used;
    used += size;
    return { slab, offset };
  };
}
