import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An application's back-channel logout endpoint on 127.0.0.1: it keeps every logout_token POSTed
 * to it, and answers 500 to the next `failNext` requests (then 200), as an application that is
 * briefly down would.
 */
export async function startLogoutReceiver() {
  const received: { contentType: string | undefined; token: string | null; status: number }[] = [];
  const state = { failNext: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const status = state.failNext > 0 ? 500 : 200;
      if (status === 500) state.failNext -= 1;
      received.push({
        contentType: req.headers['content-type'],
        token: new URLSearchParams(body).get('logout_token'),
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    received,
    /** Answers 500 to the next `n` requests. */
    failNext(n: number) {
      state.failNext = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
