import type { AxeResults } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, expect } from 'vitest';
import { canonicalDom, checkedBefore, rememberChecked } from './audit-memo.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser-options.ts';
import { collectForNuCheck, NARROW_WIDTH, pagePattern, sidewaysOverflow } from './markup.ts';

export { CHROMIUM_PATH } from './browser-options.ts';

/**
 * Headless Chromium for the browser journeys, and the checks every page of a journey goes
 * through: axe (WCAG 2.2 AA) at 1280 px, no sideways scroll (and axe) at 375 px, the Nu Html
 * Checker on the HTML the server sent (e2e/support/markup.ts), no console errors, no CSP
 * violations, no failed sub-resources.
 */

const DESKTOP = { width: 1280, height: 800 };
const NARROW = { width: NARROW_WIDTH, height: 800 };

/** What this file has measured at the narrow width: kinds of page (pagePattern), axe runs; see markup-setup.ts. */
export const measuredNarrow = new Set<string>();

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** axe-core's browser build, sent to a page when it is to be audited. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core on one page: axe.run() in the page itself, with the WCAG 2.2 AA tags. Our pages have no
 * frames (a page with one is refused here rather than half audited). The source goes into each
 * document once, when it is first audited, not twice per run as @axe-core/playwright's legacy mode
 * sends it: 570 KB through the test worker, the run's browser server and Chromium each time, and
 * compiled again. Only violations are reported in full: every rule still runs on every node, but
 * the passes are not sent back node by node, which nothing here reads.
 */
async function axe(page: Page): Promise<{ violations: AxeResults['violations'] }> {
  if (page.frames().length > 1) throw new Error(`axe: ${page.url()} has frames, which this runner does not audit`);
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const { axe } = window as unknown as { axe: typeof import('axe-core') };
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return { violations: results.violations };
  }, AXE_TAGS);
}

/**
 * This worker's Chromium, launched by its first journey file and kept for the files it runs after
 * (vitest's e2e project shares modules within a worker): Playwright then drives it in this process,
 * where a browser server shared by the run relayed every message through the main process as well.
 * Playwright kills it when the worker exits. What each file gets is a handle on it whose close()
 * closes the contexts that file opened, not the browser.
 */
let workerBrowser: Promise<Browser> | undefined;

export async function launchChromium(): Promise<Browser> {
  workerBrowser ??= chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const browser = await workerBrowser;
  const contexts = new Set<BrowserContext>();
  return new Proxy(browser, {
    get(target, property, receiver) {
      if (property === 'newContext')
        return async (...args: Parameters<Browser['newContext']>) => {
          const context = await target.newContext(...args);
          contexts.add(context);
          return context;
        };
      if (property === 'close')
        return async () => {
          for (const context of contexts) await context.close();
          contexts.clear();
        };
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Forwards CSP violations to the console, where the watcher sees them (runs before page scripts). */
const REPORT_CSP_VIOLATIONS = `
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber);
  });
`;

export interface Problem {
  kind: 'console' | 'pageerror' | 'requestfailed' | 'response';
  text: string;
}

/**
 * One browser tab of a journey. It records every problem the page reports and every document
 * it loads; `audit()` runs axe on the page as it is now and marks the current document as
 * checked, and `expectAllAudited()` proves no page of the journey escaped the checks.
 *
 * With JavaScript disabled axe cannot run in the page itself (Chromium then runs no timers, and
 * axe needs them), so a separate JavaScript-enabled "auditor" tab is given a snapshot of the
 * page's DOM, scripts removed, at the same URL so that the same stylesheet applies.
 */
export class JourneyTab {
  readonly problems: Problem[] = [];
  readonly documents: { url: string; status: number; audited: boolean; body: Promise<string | undefined> }[] = [];
  private readonly navigationUrls = new Set<string>();

  private constructor(
    readonly page: Page,
    readonly baseUrl: string,
    readonly javaScript: boolean,
    private readonly auditor: Auditor | undefined,
  ) {}

  static async open(browser: Browser, options: { baseUrl: string; javaScript: boolean }): Promise<JourneyTab> {
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScript,
      viewport: DESKTOP,
    });
    if (options.javaScript) await context.addInitScript(REPORT_CSP_VIOLATIONS);
    const page = await context.newPage();
    const auditor = options.javaScript ? undefined : await Auditor.open(browser);
    const tab = new JourneyTab(page, options.baseUrl, options.javaScript, auditor);
    tab.watch();
    return tab;
  }

  get context(): BrowserContext {
    return this.page.context();
  }

  private watch(): void {
    const { page } = this;
    page.on('console', (message) => {
      if (message.type() !== 'error' && message.type() !== 'warning') return;
      const text = message.text();
      // Chromium logs "Failed to load resource: … status of 401" for a page that is itself a
      // 4xx answer (a failed sign-in, the 404 page). The tests assert those statuses; any
      // failed sub-resource is caught by the 'response' listener below.
      if (
        /^Failed to load resource: the server responded with a status of 4\d\d/.test(text) &&
        this.isDocumentUrl(message.location().url)
      )
        return;
      if (message.type() === 'warning' && !/Content[- ]Security[- ]Policy|CSP/i.test(text)) return;
      this.problems.push({ kind: 'console', text: `${message.type()}: ${text} (${message.location().url})` });
    });
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) this.navigationUrls.add(request.url());
    });
    page.on('pageerror', (error) => this.problems.push({ kind: 'pageerror', text: error.stack ?? error.message }));
    page.on('requestfailed', (request) => {
      this.problems.push({
        kind: 'requestfailed',
        text: `${request.method()} ${request.url()}: ${request.failure()?.errorText ?? 'failed'}`,
      });
    });
    page.on('response', (response) => {
      const request = response.request();
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        if (response.status() < 300 || response.status() >= 400) {
          // The body as sent, asked for now: once the tab moves on Chromium may have let it go.
          const body = response.text().catch(() => undefined);
          this.documents.push({ url: response.url(), status: response.status(), audited: false, body });
        }
        return;
      }
      if (response.status() >= 400)
        this.problems.push({
          kind: 'response',
          text: `${response.status()} for ${request.method()} ${response.url()}`,
        });
    });
  }

  private isDocumentUrl(url: string): boolean {
    return this.navigationUrls.has(url);
  }

  /** Runs `action` (a click or goto) and waits for the page it leads to; returns that page's response. */
  async navigate(action: () => Promise<unknown>): Promise<Response> {
    const { page } = this;
    const response = page.waitForResponse(
      (r) =>
        r.request().isNavigationRequest() &&
        r.request().frame() === page.mainFrame() &&
        (r.status() < 300 || r.status() >= 400),
    );
    const loaded = page.waitForEvent('load');
    await action();
    const [final] = await Promise.all([response, loaded]);
    return final;
  }

  async goto(path: string): Promise<Response> {
    return this.navigate(() => this.page.goto(new URL(path, this.baseUrl).toString()));
  }

  /**
   * The checks of the page as it is now: axe; the first time this file meets this kind of page
   * (pagePattern), no sideways scroll at 375 px (and axe there on the file's first page); and its
   * HTML as sent kept for the file's Nu check. Throws listing each problem.
   */
  async audit(): Promise<void> {
    const { page } = this;
    const document = this.documents.at(-1);
    if (!document || document.url !== page.url())
      throw new Error(`audit(): no loaded document recorded for ${page.url()}`);
    const how = `JavaScript ${this.javaScript ? 'on' : 'off'}`;
    await this.axeOnce(DESKTOP, `${page.url()} (${how})`);
    const pattern = pagePattern(document.url, document.status);
    if (!measuredNarrow.has(pattern)) {
      measuredNarrow.add(pattern);
      await this.auditNarrow(`${page.url()} (${how}, ${NARROW.width} px wide)`);
    }
    const body = await document.body;
    if (body === undefined) throw new Error(`audit(): the response body of ${document.url} could not be read`);
    collectForNuCheck(document.url, body);
    document.audited = true;
  }

  private async auditNarrow(where: string): Promise<void> {
    const { page } = this;
    const desktop = page.viewportSize() ?? DESKTOP;
    await page.setViewportSize(NARROW);
    try {
      const overflow = await sidewaysOverflow(page);
      if (overflow.scrollWidth > overflow.width)
        throw new Error(
          `${where} scrolls sideways: ${overflow.scrollWidth}px of content in ${overflow.width}px; sticking out: ${overflow.culprits.join(', ') || 'nothing found'}`,
        );
      // axe again only on the file's first page at this width with JavaScript on, and off, with the
      // service navigation and without: what only a narrow screen shows is the layout's (the
      // navigation's Menu button); the page's own content is what axe saw at 1280 px. axe on every
      // kind of page here cost an e2e run about 13% more CPU.
      const navigation = (await page.locator('.govuk-service-navigation').count()) > 0;
      const axeKey = `axe, JavaScript ${this.javaScript ? 'on' : 'off'}, ${navigation ? 'with' : 'without'} navigation`;
      if (!measuredNarrow.has(axeKey)) {
        measuredNarrow.add(axeKey);
        await this.axeOnce(NARROW, where);
      }
    } finally {
      await page.setViewportSize(desktop);
      // Scripts see the width change when the page next renders (GOV.UK Frontend's media-query
      // listeners, e.g. the service navigation hiding its Menu button); until then the page is in
      // neither layout, and a keyboard test counting its controls could count the Menu button.
      if (this.javaScript)
        await page.evaluate(
          () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
        );
    }
  }

  /** axe on the page at the viewport it now has, unless the run found the same page clean (audit-memo.ts). */
  private async axeOnce(viewport: { width: number; height: number }, where: string): Promise<void> {
    const kind = `axe, JavaScript ${this.javaScript ? 'on' : 'off'}, ${viewport.width} px`;
    const dom = await canonicalDom(this.page);
    if (checkedBefore(kind, dom)) return;
    throwViolations(this.auditor ? await this.auditor.audit(this.page, viewport) : await axe(this.page), where);
    rememberChecked(kind, dom);
  }

  /** Every document this tab loaded was audited. */
  unauditedDocuments(): string[] {
    return this.documents.filter((d) => !d.audited).map((d) => `${d.status} ${d.url}`);
  }

  async close(): Promise<void> {
    await this.context.close();
    await this.auditor?.close();
  }
}

function throwViolations(results: Awaited<ReturnType<typeof axe>>, where: string): void {
  if (results.violations.length === 0) return;
  const lines = results.violations.flatMap((v) => [
    `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}`,
    ...v.nodes.map(
      (n) => `    ${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`,
    ),
  ]);
  throw new Error(`axe found ${results.violations.length} violation(s) on ${where}:\n  ${lines.join('\n  ')}`);
}

/** A JavaScript-enabled tab that shows a snapshot of a JavaScript-disabled page to axe. */
class Auditor {
  private snapshot = '';

  private constructor(private readonly page: Page) {}

  static async open(browser: Browser): Promise<Auditor> {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const auditor = new Auditor(page);
    await page.route('**/*', async (route) => {
      if (route.request().isNavigationRequest()) {
        await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: auditor.snapshot });
      } else {
        await route.continue();
      }
    });
    return auditor;
  }

  async audit(source: Page, viewport = DESKTOP) {
    if (this.page.viewportSize()?.width !== viewport.width) await this.page.setViewportSize(viewport);
    const html = await source.content();
    // The DOM as the browser without JavaScript built it. Scripts never ran there; remove them
    // so they do not run here either. <noscript> content was shown there: show it here too.
    this.snapshot = html.replace(/<script\b[\s\S]*?<\/script>/gi, '').replace(/<\/?noscript\b[^>]*>/gi, '');
    await this.page.goto(source.url(), { waitUntil: 'load' });
    return axe(this.page);
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

/** Every tab: nothing went wrong in it, and every page it loaded was audited. */
function expectClean(tab: JourneyTab): void {
  const problems = tab.problems.splice(0).map((p) => `${p.kind}: ${p.text}`);
  expect(problems, 'console errors, CSP violations, failed requests').toEqual([]);
  const unaudited = tab.unauditedDocuments();
  // Reported once: a page a failed test left unaudited is not blamed on the tests after it.
  for (const document of tab.documents) document.audited = true;
  expect(unaudited, 'pages loaded but not audited').toEqual([]);
}

/**
 * The hooks of a journey file: after each test every tab is clean; at the end the tabs, the
 * browser, the server and its data folder go. `resources` is read late, as they are set in beforeAll.
 */
export function closeAfterJourneys(
  tabs: JourneyTab[],
  resources: () => { browser?: Browser; server?: { close(): Promise<void> }; dataDir?: string },
): void {
  afterEach(() => {
    for (const tab of tabs) expectClean(tab);
  });
  afterAll(async () => {
    const { browser, server, dataDir } = resources();
    for (const tab of tabs.splice(0)) await tab.close();
    await browser?.close();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
}
