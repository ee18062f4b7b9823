import { fileURLToPath } from 'node:url';

/** The project folder, so views and assets are found whatever the working directory is. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
