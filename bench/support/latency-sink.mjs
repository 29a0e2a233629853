// An HTTP sink in its own process for benchmarks: answers 202 to every POST and, when a request
// carries `ce-benchsent` (ms since epoch, set by the load generator), records its end-to-end
// latency. The parent asks for the figures over IPC: {cmd:'report'} -> {count, latencies}.
import { createServer } from 'node:http';

let count = 0;
let latencies = [];
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    count++;
    const sent = Number(req.headers['ce-benchsent']);
    if (sent > 0) latencies.push(performance.timeOrigin + performance.now() - sent);
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m.cmd === 'report') {
    process.send({ count, latencies });
    count = 0;
    latencies = [];
  }
});
process.on('disconnect', () => process.exit(0));
