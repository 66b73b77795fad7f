/**
 * Endpoint templates (spec §1): a base `tcp://host:PORT` gives rank r at
 * PORT + r; any other base (`ipc:///tmp/x`) gives `<base>.<r>`, SGLang's form.
 */
export function expandEndpoints(base: string, dpSize: number): string[] {
  const out: string[] = [];
  const tcp = /^tcp:\/\/(.+):(\d+)$/.exec(base);
  for (let r = 0; r < dpSize; r++) out.push(tcp ? `tcp://${tcp[1]}:${Number(tcp[2]) + r}` : `${base}.${r}`);
  return out;
}

/** Why an endpoint string cannot be connected to; undefined when it looks right. */
export function endpointProblem(endpoint: string): string | undefined {
  if (/^tcp:\/\/[^:/]+:\d{1,5}$/.test(endpoint) || /^tcp:\/\/\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(endpoint)) {
    const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
    return port > 0 && port < 65536 ? undefined : `port ${port} is out of range`;
  }
  if (/^ipc:\/\/.+/.test(endpoint)) return undefined;
  return 'must be tcp://HOST:PORT or ipc:///PATH';
}
