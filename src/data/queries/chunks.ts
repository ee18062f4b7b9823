/**
 * Bulk writes go in chunks: one statement for thousands of rows would pass PostgreSQL's 65,535
 * bind parameters, and one statement a row would cost a round trip each.
 */
export const CHUNK_SIZE = 500;

export async function inChunks<T>(
  items: readonly T[],
  write: (chunk: T[]) => Promise<unknown>,
  size = CHUNK_SIZE,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await write(items.slice(i, i + size));
}
