import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from './localhost.ts';

/**
 * The Nu Html Checker as a web service (vnu.jar's own servlet) for the whole journey run, started
 * by the run's global set-up (run-setup.ts). A JVM takes two to three CPU-seconds to start and
 * read the HTML schemas; once per run instead of once per journey file (there are 18).
 */

const VNU_JAR = createRequire(import.meta.url).resolve('vnu-jar/build/dist/vnu.jar');
const JAVA = process.env.JAVA ?? 'java';
const READY_WITHIN_MS = 90_000;

export interface NuService {
  /** Where to POST a page (text/html) for its messages as JSON, errors only. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startNuService(): Promise<NuService> {
  const port = await freePort();
  // C1 only and the serial collector: the checker's work here is a few hundred short pages, for
  // which C2's compiling costs more than it saves. C1's frames are larger, and the checker's schema
  // recursion then needs a deeper stack than the default.
  const child = spawn(
    JAVA,
    [
      '-Xss16m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Dnu.validator.servlet.bind-address=127.0.0.1',
      '-cp',
      VNU_JAR,
      'nu.validator.servlet.Main',
      String(port),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? new Error(`${JAVA} not found`) : error),
    );
    child.once('exit', (code, signal) => resolve(new Error(`it stopped (${signal ?? `exit ${code}`}): ${output}`)));
  });
  const url = `http://127.0.0.1:${port}/?out=json&level=error`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill();
    await exited;
  };
  let gone = false;
  void exited.then(() => (gone = true));
  const failure = await Promise.race([exited, answers(url, () => gone)]);
  if (failure instanceof Error) {
    await stop();
    throw new Error(
      `The Nu Html Checker could not start (${failure.message}): it needs Java 11 or later (Debian: apt-get install -y default-jre-headless).`,
    );
  }
  return { url, stop };
}

/** Resolves once the service checks a page; an Error if it has not within READY_WITHIN_MS. */
async function answers(url: string, gone: () => boolean): Promise<true | Error> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline && !gone()) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: '<!DOCTYPE html><html lang="en"><title>ready</title></html>',
      });
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return new Error(`it did not answer within ${READY_WITHIN_MS / 1000} s`);
}
