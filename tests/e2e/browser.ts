/**
 * Debian's Chromium, headless, driven by playwright-core: a fake microphone that plays one WAV file once
 * (`%noloop`), microphone permission granted, Caddy's internal certificate accepted, autoplay allowed. Screenshots go
 * to `tests/e2e/artifacts/` (git-ignored) for review.
 *
 * @module
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { resolveRepoPath } from "../../harness/sox.ts";

/** Where the tests leave screenshots. */
export const ARTIFACTS_DIR = resolveRepoPath("tests/e2e/artifacts");
const CHROMIUM = "/usr/bin/chromium";

/** A browser with one page. */
export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console lines and page errors, for failure messages. */
  log: string[];
  close(): Promise<void>;
}

/** Launches Chromium whose microphone plays `wavPath` once. */
export async function openBrowser(
  wavPath: string,
  options: {
    colorScheme?: "dark" | "light";
    /** Play the file over and over instead of once. */
    loop?: boolean;
    /** More Chromium switches (e.g. `--unsafely-treat-insecure-origin-as-secure=` for a plain-http test page). */
    extraArgs?: string[];
  } = {},
): Promise<BrowserSession> {
  if (!(await Deno.stat(CHROMIUM).then(() => true, () => false))) {
    throw new Error(`no Chromium at ${CHROMIUM}: run \`deno task setup\` (apt package chromium)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wavPath}${options.loop ? "" : "%noloop"}`,
      "--autoplay-policy=no-user-gesture-required",
      // LiveKit advertises 127.0.0.1; keep Chromium's own candidates plain addresses too.
      "--disable-features=WebRtcHideLocalIpsWithMdns",
      ...options.extraArgs ?? [],
    ],
  });
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    permissions: ["microphone"],
    viewport: { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? "dark",
  });
  const page = await context.newPage();
  const log: string[] = [];
  page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => log.push(`pageerror: ${error.message}`));
  return {
    browser,
    context,
    page,
    log,
    async close() {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
    },
  };
}

/** Saves a screenshot of the page as `tests/e2e/artifacts/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}/${name}.png`;
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** What the page's `window.voiceDebug` reports about the agent's audio. */
export interface PageAudio {
  audibleMs: number;
  audibleRms: number;
  peakRms: number;
  lastAudibleAtMs: number;
}

/** Reads the page's events (type and payload, with page time `atMs`). */
export function pageEvents(page: Page): Promise<Array<Record<string, unknown> & { type: string; atMs: number }>> {
  // deno-lint-ignore no-explicit-any
  return page.evaluate(() => (globalThis as any).voiceDebug.events.map((e: unknown) => ({ ...(e as object) })));
}

/** Reads the agent audio statistics the page measured from the remote track. */
export function pageAgentAudio(page: Page): Promise<PageAudio> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const a = (globalThis as any).voiceDebug.agentAudio();
    return { audibleMs: a.audibleMs, audibleRms: a.audibleRms, peakRms: a.peakRms, lastAudibleAtMs: a.lastAudibleAtMs };
  });
}

/** Audible agent audio after page time `fromMs`. */
export function pageAgentAudibleSince(page: Page, fromMs: number): Promise<number> {
  // deno-lint-ignore no-explicit-any
  return page.evaluate((from) => (globalThis as any).voiceDebug.agentAudio().audibleMsSince(from), fromMs);
}

/** Polls the page's events until one matches; throws with the events and the page log on timeout. */
export async function waitForPageEvent(
  session: BrowserSession,
  match: (event: Record<string, unknown> & { type: string }) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown> & { type: string; atMs: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const events = await pageEvents(session.page);
    const found = events.find(match);
    if (found) return found;
    if (performance.now() > deadline) {
      const summary = events.map((e) => e.type).join(", ");
      throw new Error(`timed out waiting for ${what}; page events: [${summary}]\n${session.log.slice(-20).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
