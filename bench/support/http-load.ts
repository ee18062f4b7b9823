import http from 'node:http';

/**
 * Closed-loop HTTP load over loopback for the API bench: C clients, each sending its next request
 * as soon as the previous answer has been read, on keep-alive connections (node:http Agent, one
 * socket per client). Counts only the expected statuses; every other status, and every network
 * error, is counted separately so that the bench can say so instead of counting it as work done.
 */

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** Responses with an expected status. */
  ok: number;
  /** Other statuses (by code) and network errors (as 'network: …'), with counts. */
  errors: Map<string, number>;
  /** The first unexpected answer, for the message. */
  firstError: string | undefined;
  seconds: number;
  /** Latency of each good response, ms. */
  latencies: number[];
}

export interface Answer {
  status: number;
  body: string;
}

export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** One request; resolves with the status and the whole body. Rejects on network errors and after `timeoutMs`. */
export function send(agent: http.Agent, baseUrl: string, request: LoadRequest, timeoutMs = 30_000): Promise<Answer> {
  const url = new URL(request.path, baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(request.body);
    }
    const req = http.request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: request.method,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

/**
 * Runs `concurrency` clients for `seconds`; `next(i)` builds each request (i counts from 0 across
 * all clients, e.g. for unique usernames). Requests started before the deadline are all awaited
 * and counted, and the window's length runs until the last of them has answered.
 */
export async function loadWindow(
  agent: http.Agent,
  baseUrl: string,
  options: {
    concurrency: number;
    seconds: number;
    expect: readonly number[];
    next: (i: number) => LoadRequest;
  },
): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, errors: new Map(), firstError: undefined, seconds: 0, latencies: [] };
  const fail = (key: string, detail: string) => {
    result.errors.set(key, (result.errors.get(key) ?? 0) + 1);
    result.firstError ??= detail;
  };
  let counter = 0;
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const request = options.next(counter++);
        const t0 = performance.now();
        try {
          const answer = await send(agent, baseUrl, request);
          if (options.expect.includes(answer.status)) {
            result.ok++;
            result.latencies.push(performance.now() - t0);
          } else {
            fail(
              `status ${answer.status}`,
              `${request.method} ${request.path} → ${answer.status}: ${answer.body.slice(0, 400)}`,
            );
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          fail(`network: ${message}`, `${request.method} ${request.path} → ${message}`);
        }
      }
    }),
  );
  result.seconds = (performance.now() - start) / 1000;
  return result;
}
