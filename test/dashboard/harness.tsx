import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { render as renderInk } from 'ink';
import { render as renderWithLibrary } from 'ink-testing-library';
import { vi } from 'vitest';
import { createEventStream, type GatewayEvent } from '../../src/events/index.js';
import { createDashboardStore } from '../../src/dashboard/dashboard-store.js';
import { DashboardApp } from '../../src/dashboard/mount-dashboard.js';
import { T0, configLoaded } from './events.js';

/** Keys as a terminal sends them. */
export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
  ctrlC: '\u0003',
};

export function unstyled(frame: string | undefined): string {
  return stripVTControlCharacters(frame ?? '');
}

/** Digits become 0 so clock times and uptimes don't break comparisons (Shopify CLI's habit). */
export function masked(frame: string | undefined): string {
  return unstyled(frame).replace(/\d/g, '0');
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 15));

interface Screen {
  lastFrame(): string | undefined;
  stdin: { write(data: string): void };
  unmount(): void;
}

export interface DashboardUnderTest {
  emit(...events: GatewayEvent[]): void;
  /** The frame after the next draw (the store's frame timer is off: tests draw explicitly). */
  frame(): Promise<string>;
  /** The last frame with its ANSI styles. */
  rawFrame(): Promise<string>;
  press(...input: string[]): Promise<string>;
  advance(ms: number): void;
  now(): number;
  actions: { quit: ReturnType<typeof vi.fn>; reload: ReturnType<typeof vi.fn> };
  onCrash: ReturnType<typeof vi.fn>;
  unmount(): void;
}

/** A terminal with a chosen size (ink-testing-library's is fixed at 100 columns). */
export class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
  resize(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  private data: string | null = null;
  constructor(public isTTY: boolean) {
    super();
  }
  write = (data: string) => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = () => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

export interface HarnessOptions {
  /** Omit for ink-testing-library's terminal (100 columns). */
  terminal?: { columns: number; rows: number; stdinIsTTY?: boolean };
  colors?: boolean;
  initial?: GatewayEvent[];
}

export function renderDashboardUnderTest(options: HarnessOptions = {}) {
  const events = createEventStream();
  let time = T0;
  const now = () => time;
  const actions = { quit: vi.fn(), reload: vi.fn() };
  const onCrash = vi.fn();
  const store = createDashboardStore(events, {
    seed: { url: 'http://127.0.0.1:8080', configFile: 'gateway.config.ts', startedAt: T0 },
    timer: false,
    onError: onCrash,
  });
  const tree = (
    <DashboardApp
      store={store}
      actions={actions}
      now={now}
      colors={options.colors ?? false}
      onCrash={onCrash}
    />
  );
  let screen: Screen;
  let stdout: FakeStdout | undefined;
  if (options.terminal) {
    stdout = new FakeStdout(options.terminal.columns, options.terminal.rows);
    const stdin = new FakeStdin(options.terminal.stdinIsTTY ?? true);
    const instance = renderInk(tree, {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      debug: true,
      exitOnCtrlC: false,
      patchConsole: false,
    });
    const out = stdout;
    screen = { lastFrame: () => out.frames.at(-1), stdin, unmount: () => instance.unmount() };
  } else {
    screen = renderWithLibrary(tree);
  }
  for (const event of options.initial ?? [configLoaded()]) events.emit(event);

  const harness: DashboardUnderTest & { resize(columns: number, rows: number): Promise<string> } = {
    emit: (...list) => list.forEach((event) => events.emit(event)),
    async frame() {
      store.flush(true);
      await settle();
      return unstyled(screen.lastFrame());
    },
    async rawFrame() {
      store.flush(true);
      await settle();
      return screen.lastFrame() ?? '';
    },
    async press(...input) {
      for (const data of input) {
        screen.stdin.write(data);
        await settle();
      }
      return harness.frame();
    },
    advance(ms) {
      time += ms;
    },
    now,
    actions,
    onCrash,
    unmount() {
      store.close();
      screen.unmount();
    },
    async resize(columns, rows) {
      stdout?.resize(columns, rows);
      await settle();
      return harness.frame();
    },
  };
  return harness;
}

/** The line of a frame that contains `text` (tests read rows, not whole screens). */
export function lineWith(frame: string, text: string): string | undefined {
  return frame.split('\n').find((line) => line.includes(text));
}
