import { readFileSync } from 'node:fs';
import net from 'node:net';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first port the kernel hands out for outgoing connections. Test ports
 * stay below it: a subscriber that connects before its publisher binds (every
 * 100 ms) could otherwise be given the publisher's port as its own source
 * port (even connect to itself), and the publisher's bind would fail.
 */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** A base port with `count` free consecutive TCP ports on 127.0.0.1 (for per-rank endpoints), below the ephemeral range. */
export async function freePorts(count = 1): Promise<number> {
  const low = 10000;
  const high = Math.max(low + 1000, ephemeralStart() - count);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await isFree(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
