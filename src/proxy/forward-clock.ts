/** Where a forward (HTTP/1.1 or HTTP/2) is when its clock runs out. */
export type Phase = 'connect' | 'upload' | 'head' | 'body';

/**
 * One timer for all four clocks of a forward (connect, upload, head, body): a phase moves the
 * deadline, and the timer is set again only when it would wake too late for it; a timer that
 * wakes early looks at the deadline and sleeps on. A call's phases would otherwise cost a
 * setTimeout and a clearTimeout each, and every chunk a refresh.
 */
export class ForwardClock {
  phase: Phase = 'connect';
  /** The phase whose clock ran out, once one did. */
  tripped: Phase | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #deadline = 0;

  /**
   * @param headMs the head's clock, usually the shortest one to come: waking at it spares a timer
   * @param idleMs the clock of either body, restarted by `touch`
   */
  constructor(
    private readonly headMs: number,
    private readonly idleMs: number,
    private readonly onTimeout: (phase: Phase) => void,
  ) {}

  /** Enters `next`, which has `ms` from now. */
  arm(next: Phase, ms: number): void {
    this.phase = next;
    this.#deadline = performance.now() + ms;
    if (this.#timer !== undefined && this.#timerAt <= this.#deadline) return;
    clearTimeout(this.#timer);
    this.#sleep(Math.min(ms, this.headMs));
  }

  /** An idle clock (upload, body) starts again: a chunk or a drain. */
  readonly touch = (): void => {
    this.#deadline = performance.now() + this.idleMs;
  };

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sleep(ms: number): void {
    this.#timerAt = performance.now() + ms;
    this.#timer = setTimeout(this.#wake, ms);
  }

  readonly #wake = (): void => {
    this.#timer = undefined;
    const left = this.#deadline - performance.now();
    // Timers may fire up to a millisecond before their time.
    if (left > 1) this.#sleep(left);
    else {
      this.tripped = this.phase;
      this.onTimeout(this.phase);
    }
  };
}
