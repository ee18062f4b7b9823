import { buildReportingApp } from './app.ts';
import { loadSettings, SettingsError } from './settings.ts';

/** `npm run example:reporting-app`: the example reporting application on http://localhost:4000. */

try {
  const settings = loadSettings();
  const { app } = await buildReportingApp(settings);
  await app.listen({ port: settings.port, host: settings.host });
  console.log(`Reporting (example) is ready at ${settings.appUrl.href}, signing in through ${settings.issuer.href}`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(2);
}
