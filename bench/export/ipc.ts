/**
 * Request/response over a forked child's IPC channel, so that the processes
 * of bench/export (exporters, baselines, the OTLP sink) are driven from
 * run.ts while doing their work on their own event loop and CPU.
 *
 * Child side: serveRequests({op: handler}) answers {id, op, args} messages.
 * Parent side: Worker forks a side (through tsx), optionally pinned to one CPU.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Request {
  id: number;
  op: string;
  args?: unknown;
}
interface Response {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type Handlers = Record<string, (args: never) => unknown>;

/** Serves requests until the parent goes away (then the process exits). */
export function serveRequests(handlers: Handlers): void {
  if (!process.send) throw new Error('a bench/export side must be started by run.ts (no IPC channel)');
  process.on('message', (raw) => {
    const req = raw as Request;
    const handler = handlers[req.op];
    const reply = (r: Omit<Response, 'id'>) => process.send!({ id: req.id, ...r });
    if (!handler) return reply({ ok: false, error: `unknown op ${req.op}` });
    Promise.resolve()
      .then(() => handler(req.args as never))
      .then(
        (result) => reply({ ok: true, result }),
        (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ id: 0, ok: true, result: 'ready' });
}

/** Runs `taskset` to put every thread of a process on one CPU; false when not possible. */
export function pinToCpu(pid: number, cpu: number): boolean {
  if (!existsSync('/usr/bin/taskset')) return false;
  try {
    execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class Worker {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<unknown>;

  /** Forks `script` (TypeScript, run through tsx) with `args`; `cpu` pins it; `nodeArgs` go before the script (e.g. --cpu-prof). */
  constructor(
    readonly name: string,
    script: string,
    args: string[],
    options: { cwd: string; cpu?: number; nodeArgs?: string[] },
  ) {
    this.child = fork(script, args, { cwd: options.cwd, execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (options.cpu !== undefined && this.child.pid) pinToCpu(this.child.pid, options.cpu);
    this.ready = new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
    this.child.on('message', (raw) => {
      const res = raw as Response;
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(new Error(`${name}: ${res.error}`));
    });
    this.child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one request and waits for its answer. */
  async call<T>(op: string, args?: unknown): Promise<T> {
    await this.ready;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies Request);
    });
  }

  /** Ends the child: closes the channel (it exits by itself), then waits at most `ms` before SIGKILL. */
  async stop(ms = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
  }
}
