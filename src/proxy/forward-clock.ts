/** Where a forward (HTTP/1.1 or HTTP/2) is when its clock runs out. */
export type Phase = 'connect' | 'upload' | 'head' | 'body';

/**
 * One timer for all four clocks of a forward (connect, upload, head, body): a phase moves the
 * deadline, and the timer is set again only when it would wake too late for it; a timer that
 * wakes early looks at the deadline and sleeps on. A call's phases would otherwise cost a
 * setTimeout and a clearTimeout each, and every chunk a refresh.
 *
 * Plain fields and methods, and the timer's callback a module function that gets the clock as
 * its argument: a clock is made for every request, and per-instance arrow functions and private
 * fields made each one cost about twice as much (0.9-1.3 µs against 0.5 for its life, measured
 * in-process).
 */
export class ForwardClock {
  phase: Phase = 'connect';
  /** The phase whose clock ran out, once one did. */
  tripped: Phase | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  timerAt = Infinity;
  deadline = 0;

  /**
   * @param headMs the head's clock, usually the shortest one to come: waking at it spares a timer
   * @param idleMs the clock of either body, restarted by `touch`
   */
  constructor(
    readonly headMs: number,
    readonly idleMs: number,
    readonly onTimeout: (phase: Phase) => void,
  ) {}

  /** Enters `next`, which has `ms` from now. */
  arm(next: Phase, ms: number): void {
    this.phase = next;
    const now = performance.now();
    this.deadline = now + ms;
    if (this.timer !== undefined && this.timerAt <= this.deadline) return;
    clearTimeout(this.timer);
    sleep(this, now, Math.min(ms, this.headMs));
  }

  /** An idle clock (upload, body) starts again: a chunk or a drain. */
  touch(): void {
    this.deadline = performance.now() + this.idleMs;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function sleep(clock: ForwardClock, now: number, ms: number): void {
  clock.timerAt = now + ms;
  clock.timer = setTimeout(wake, ms, clock);
}

function wake(clock: ForwardClock): void {
  clock.timer = undefined;
  const now = performance.now();
  const left = clock.deadline - now;
  // Timers may fire up to a millisecond before their time.
  if (left > 1) sleep(clock, now, left);
  else {
    clock.tripped = clock.phase;
    clock.onTimeout(clock.phase);
  }
}
