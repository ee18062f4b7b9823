/**
 * A browser without JavaScript over real HTTP (Node's fetch, i.e. undici, keep-alive): it keeps
 * its own cookies, never follows redirects by itself, and remembers the `_csrf` hidden field of
 * the last page it read. The HTTP counterpart of test/support/browser.ts's FormClient.
 */
export interface PageResponse {
  status: number;
  location: string | null;
  body: string;
}

export class HttpFormClient {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(private readonly baseUrl: string) {}

  private remember(response: Response, body: string): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired =
        value === '' ||
        attributes.some((attribute) => {
          const [key = '', raw = ''] = attribute.split('=');
          const k = key.trim().toLowerCase();
          return (k === 'max-age' && Number(raw) <= 0) || (k === 'expires' && Date.parse(raw) < Date.now());
        });
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(body);
    if (match) this.csrf = match[1];
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return { 'user-agent': 'nexus-bench', ...(cookie ? { cookie } : {}), ...extra };
  }

  async get(path: string): Promise<PageResponse> {
    const response = await fetch(this.baseUrl + path, {
      redirect: 'manual',
      headers: this.headers(),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    this.remember(response, body);
    return { status: response.status, location: response.headers.get('location'), body };
  }

  async post(path: string, form: Record<string, string>): Promise<PageResponse> {
    const params = new URLSearchParams(form);
    if (this.csrf !== undefined && !('_csrf' in form)) params.append('_csrf', this.csrf);
    const response = await fetch(this.baseUrl + path, {
      method: 'POST',
      redirect: 'manual',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: params.toString(),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    this.remember(response, body);
    return { status: response.status, location: response.headers.get('location'), body };
  }
}
