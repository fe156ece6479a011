import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './ports.js';

/**
 * A real `redis-server` of the test's own: a free loopback port, no persistence, stopped by PID.
 * A missing redis-server fails the suite (it never skips): `.ci/run` installs it with apt.
 */

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** SIGKILL, as if Redis crashed; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: persistence is off). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function requireRedisServer(): void {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error(
      'redis-server was not found on PATH: install it (apt-get install -y redis-server); the Redis tests do not skip',
    );
  }
}

/** One PING over a raw socket: true when Redis answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

export async function startTestRedis(): Promise<TestRedis> {
  requireRedisServer();
  let port = 0;
  let child: ChildProcess | undefined;
  // A port found free may be taken before redis-server binds it: try a few.
  for (let attempt = 0; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  let current: ChildProcess = child;
  const signal = async (name: NodeJS.Signals) => {
    if (current.pid !== undefined && current.exitCode === null && current.signalCode === null)
      process.kill(current.pid, name);
    await exited(current);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid;
    },
    kill: () => signal('SIGKILL'),
    async restart() {
      current = await launch(port);
    },
    stop: () => signal('SIGTERM'),
  };
}
