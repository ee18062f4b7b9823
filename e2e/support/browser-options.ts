/**
 * Debian's chromium-headless-shell (apt-get install -y chromium-headless-shell); CHROMIUM_PATH
 * overrides the location. The same Blink as the full `chromium`, without the browser's UI layer:
 * the browser journeys used about 37% less CPU in all (Chromium's own processes half as much), as
 * Playwright itself runs headless Chromium (bench/README.md, "Test time").
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
