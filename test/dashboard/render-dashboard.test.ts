import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventStream, type GatewayEvent } from '../../src/events/index.js';
import { renderDashboard, type DashboardHandle } from '../../src/dashboard/render-dashboard.js';
import { configLoaded, finished } from './events.js';
import { FakeStdin, FakeStdout } from './harness.js';
import { waitFor } from '../helpers/upstream.js';

// The dashboard only runs outside CI (gw dev prints plain lines under CI), and Ink reads CI once
// per worker at import, holding every frame back until exit: vitest.config.ts runs unit tests
// with CI=false, so this file checks the live terminal behaviour.

let handle: DashboardHandle | undefined;
afterEach(() => handle?.unmount());

function start() {
  const events = createEventStream();
  const stdout = new FakeStdout(100, 30);
  const stdin = new FakeStdin(true);
  const actions = { quit: vi.fn(), reload: vi.fn() };
  const onCrash = vi.fn();
  handle = renderDashboard({
    events,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    info: { url: 'http://127.0.0.1:8080', configFile: 'gateway.config.ts' },
    actions,
    onCrash,
    // The test runner replaces console; Ink cannot patch it there.
    patchConsole: false,
  });
  const written = () => stdout.frames.join('');
  return { events, stdout, stdin, actions, onCrash, written, handle };
}

describe('renderDashboard', () => {
  it('draws from the moment it is called and lets go of the stream on unmount', async () => {
    const { events, written, handle, onCrash } = start();
    expect(events.active).toBe(true);
    events.emit(configLoaded());
    events.emit(finished({ path: '/api/users/first' }));
    // The next frame (at most 100 ms away) shows it.
    await waitFor(() => written().includes('/api/users/first'));
    handle.unmount();
    handle.unmount();
    expect(events.active).toBe(false);
    expect(written()).toContain('gw http://127.0.0.1:8080');
    expect(onCrash).not.toHaveBeenCalled();
  });

  it('unmounts itself and calls onCrash once when the view fails; the stream keeps working', async () => {
    const { events, onCrash, written } = start();
    await waitFor(() => written().includes('waiting for requests'));
    const broken = { ...finished(), path: undefined } as unknown as GatewayEvent;
    events.emit(broken);
    await waitFor(() => onCrash.mock.calls.length > 0, 5000);
    expect(onCrash).toHaveBeenCalledTimes(1);
    expect(onCrash.mock.calls[0]?.[0]).toBeInstanceOf(TypeError);
    expect(events.active).toBe(false);
    expect(() => events.emit(finished())).not.toThrow();
  });

  it('unmounts and calls onCrash when its bookkeeping fails on an event', async () => {
    const { events, onCrash, written } = start();
    await waitFor(() => written().includes('waiting for requests'));
    const broken = { type: 'targets-snapshot', at: 0, targets: null } as unknown as GatewayEvent;
    expect(() => events.emit(broken)).not.toThrow();
    await waitFor(() => onCrash.mock.calls.length > 0, 5000);
    expect(onCrash).toHaveBeenCalledTimes(1);
    expect(events.active).toBe(false);
  });
});
