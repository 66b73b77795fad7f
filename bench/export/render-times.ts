/** Times `render` `n` times in this process: wall ms and process CPU ms (user + system) of each. */
export async function renderTimes(n: number, render: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await render();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    out.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  return out;
}
