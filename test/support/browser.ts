import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A cookie-keeping client over `app.inject`, like a browser without JavaScript: it remembers
 * cookies and the CSRF token of the last page, and sends forms as application/x-www-form-urlencoded.
 */
export class FormClient {
  cookies = new Map<string, string>();
  csrf: string | undefined;
  ip: string;

  constructor(
    private readonly app: FastifyInstance,
    options: { ip?: string } = {},
  ) {
    this.ip = options.ip ?? '127.0.0.1';
  }

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      if (cookie.value === '' || (cookie.expires && new Date(cookie.expires).getTime() < Date.now()))
        this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (match) this.csrf = match[1];
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'GET',
      url,
      headers: { cookie: this.cookieHeader() },
      remoteAddress: this.ip,
    });
    this.remember(response);
    return response;
  }

  async post(
    url: string,
    form: Record<string, string | string[]>,
    options: { csrf?: string | null } = {},
  ): Promise<LightMyRequestResponse> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) {
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
    }
    const token = options.csrf === undefined ? this.csrf : options.csrf;
    if (token !== null && token !== undefined && !('_csrf' in form)) params.append('_csrf', token);
    const response = await this.app.inject({
      method: 'POST',
      url,
      payload: params.toString(),
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      remoteAddress: this.ip,
    });
    this.remember(response);
    return response;
  }

  /** Posts a multipart form with one file, as a browser's file upload does. */
  async upload(
    url: string,
    file: { field?: string; name: string; content: Buffer | string },
    form: Record<string, string> = {},
    options: { csrf?: string | null } = {},
  ): Promise<LightMyRequestResponse> {
    const boundary = '----nexus-test-boundary-7MA4YWxkTrZu0gW';
    const token = options.csrf === undefined ? this.csrf : options.csrf;
    const fields = {
      ...form,
      ...(token !== null && token !== undefined && !('_csrf' in form) ? { _csrf: token } : {}),
    };
    const parts: Buffer[] = Object.entries(fields).map(([name, value]) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
    );
    parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content, 'utf8'));
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    const response = await this.app.inject({
      method: 'POST',
      url,
      payload: Buffer.concat(parts),
      headers: { cookie: this.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      remoteAddress: this.ip,
    });
    this.remember(response);
    return response;
  }
}
