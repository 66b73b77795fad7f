/**
 * Child processes and /proc readings for the benchmark: every child is
 * tracked and killed (by its own pid) when the benchmark exits, however it exits.
 */
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const children = new Set<ChildProcess>();

function killChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}

/** A child process with its stdout as lines that can be awaited. */
export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  /** performance.now() when spawned. */
  readonly startedAt = performance.now();

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: SpawnOptions = {},
  ) {
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    children.add(this.proc);
    let partial = '';
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => {
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const l of parts) this.lines.push(l);
      this.notify();
    });
    // A child that exits while we write to its stdin must not crash the benchmark (EPIPE).
    this.proc.stdin?.on('error', () => undefined);
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-20000);
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code) => {
        children.delete(this.proc);
        if (partial) this.lines.push(partial);
        partial = '';
        this.notify();
        resolve(code);
      });
      this.proc.once('error', (err) => {
        children.delete(this.proc);
        this.stderr += String(err);
        this.notify();
        resolve(-1);
      });
    });
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name}: no pid (spawn failed: ${this.stderr})`);
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits for a stdout line matching `pred` (from `from` on); rejects on timeout or exit. */
  async waitLine(pred: (line: string) => boolean, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.lines.length; i++) if (pred(this.lines[i])) return this.lines[i];
      if (!this.running) throw new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}) while waiting: ${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for output; stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    if (this.running && this.proc.stdin && this.proc.stdin.writable) this.proc.stdin.write(`${line}\n`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (this.running) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.running && this.proc.kill('SIGKILL'), graceMs);
      const code = await this.exited;
      clearTimeout(t);
      return code;
    }
    return this.exited;
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads), in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** utime and stime (kernel time: syscalls, socket copies, wake-ups) of a process, in seconds. */
export function cpuSplit(pid: number): { user: number; sys: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
}

/** utime + stime by thread group: the main thread, libzmq's I/O thread(s), and every other thread (GC, libuv). */
export interface ThreadCpu {
  main: number;
  zmqIo: number;
  other: number;
}

export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = { main: 0, zmqIo: 0, other: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK;
      if (Number(tid) === pid) out.main += cpu;
      else if (name.startsWith('ZMQbg/IO')) out.zmqIo += cpu;
      else out.other += cpu;
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export function threadCpuDelta(a: ThreadCpu, b: ThreadCpu): ThreadCpu {
  return { main: b.main - a.main, zmqIo: b.zmqIo - a.zmqIo, other: b.other - a.other };
}

/** Current and peak resident set size in MiB, from /proc/<pid>/status. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: NaN, peak: NaN }; // the process is gone
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const usedPorts = new Set<number>();

/** A base port with `count` consecutive free TCP ports on 127.0.0.1, not handed out before in this run. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = 21000 + Math.floor(Math.random() * 28000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = !usedPorts.has(base + i) && (await portFree(base + i));
    if (ok) {
      for (let i = 0; i < count; i++) usedPorts.add(base + i);
      return base;
    }
  }
  throw new Error(`no ${count} consecutive free TCP ports on 127.0.0.1`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
