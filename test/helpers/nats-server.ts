import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePorts } from './ports.js';

/**
 * Debian's nats-server, started for a test on a free loopback port. Missing
 * binary = a failing test (test/setup.sh installs it), never a skip.
 * stop() and start() again reuse the port: a server restart as clients see it.
 */
export class NatsServer {
  private child: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePorts(1);
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot run nats-server (install it: bash test/setup.sh): ${err.message}`))));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${this.port}: ${stderr}`);
      await Promise.race([new Promise((r) => setTimeout(r, 50)), spawnError]);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
