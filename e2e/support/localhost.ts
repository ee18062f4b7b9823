import { createServer } from 'node:http';

/** A port free on this machine now, for a server whose address must be known before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A journey server's settings with BASE_URL on localhost (useJourneyServer's `env`): a WebAuthn RP
 * ID is a host name, never 127.0.0.1, and an application beside Nexus on localhost shares its site.
 */
export async function onLocalhost(): Promise<Record<string, string>> {
  const port = await freePort();
  return { PORT: String(port), BASE_URL: `http://localhost:${port}` };
}
