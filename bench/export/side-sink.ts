/**
 * bench/export side: a minimal OTLP/HTTP endpoint. It reads each request
 * body to the end, counts its bytes (as sent: compressed when gzip; never
 * decoded, that is the backend's cost) and answers 200 with an empty body.
 *
 *   ops: url -> string; stats -> {requests, bytes} (totals since start)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveRequests } from './ipc.js';

let requests = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveRequests({
  url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`,
  stats: () => ({ requests, bytes }),
});
