// Persistent history: one better-sqlite3 database plus one PNG (and one thumbnail) per result under DATA_DIR.
// Writes are atomic in the order that keeps the two consistent: the files land first (temp file + fsync + rename),
// then the row is inserted in a transaction, so a listed row always has its image. A crash in between leaves at most
// an unlisted file, never a broken card. Deliberately single-process: two servers must not share one DATA_DIR.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isResultId, type ResultRecord } from '../results.ts';

const SCHEMA_VERSION = 1;
const MAX_PAGE = 100;

export interface NewResult extends Omit<ResultRecord, 'id' | 'createdAt'> {
  /** The engine's PNG, metadata chunks included, stored byte for byte. */
  png: Uint8Array;
  thumbnail: Uint8Array;
}

export interface ResultPage {
  items: ResultRecord[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export function newResultId(): string {
  return randomBytes(16).toString('base64url'); // 128 bits → 22 characters
}

/** Writes to a sibling temp file, flushes it to disk, then renames over the target (atomic on one filesystem). */
export async function writeFileAtomic(target: string, bytes: Uint8Array): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.promises.open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.promises.rename(temp, target);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw error;
  }
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // Fall through: a malformed cursor is reported by the caller.
  }
  return null;
}

interface Row {
  created_at: number;
  record: string;
}

export class ResultsStore {
  readonly imagesDir: string;
  private readonly db: Database.Database;

  private constructor(db: Database.Database, imagesDir: string) {
    this.db = db;
    this.imagesDir = imagesDir;
  }

  /** Opens (creating if needed) DATA_DIR/studio.db and DATA_DIR/images, and removes temp files a crash left. */
  static open(dataDir: string): ResultsStore {
    const imagesDir = path.join(dataDir, 'images');
    try {
      fs.mkdirSync(imagesDir, { recursive: true });
    } catch (error) {
      throw new Error(
        `Cannot create the history folder ${imagesDir}: ${(error as Error).message}. ` +
          'Set DATA_DIR to a writable folder.',
      );
    }
    for (const name of fs.readdirSync(imagesDir)) {
      if (name.endsWith('.tmp')) fs.rmSync(path.join(imagesDir, name), { force: true });
    }
    const db = new Database(path.join(dataDir, 'studio.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new Error(
        `${path.join(dataDir, 'studio.db')} has schema ${version}, newer than this studio (${SCHEMA_VERSION}). ` +
          'Update the studio, or point DATA_DIR at another folder.',
      );
    }
    db.exec(`
      CREATE TABLE IF NOT EXISTS results (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL, -- ms since epoch, the paging key
        record TEXT NOT NULL         -- ResultRecord as JSON
      );
      CREATE INDEX IF NOT EXISTS results_by_time ON results (created_at DESC, id DESC);
    `);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return new ResultsStore(db, imagesDir);
  }

  imagePath(id: string): string {
    return path.join(this.imagesDir, `${id}.png`);
  }

  thumbnailPath(id: string): string {
    return path.join(this.imagesDir, `${id}.thumb.png`);
  }

  async save(result: NewResult, now = new Date()): Promise<ResultRecord> {
    const { png, thumbnail, ...rest } = result;
    const record: ResultRecord = { id: newResultId(), createdAt: now.toISOString(), ...rest };
    await writeFileAtomic(this.imagePath(record.id), png);
    await writeFileAtomic(this.thumbnailPath(record.id), thumbnail);
    try {
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO results (id, created_at, record) VALUES (?, ?, ?)')
          .run(record.id, now.getTime(), JSON.stringify(record));
      })();
    } catch (error) {
      // The row never existed, so the files are unreachable: remove them rather than leak them.
      await fs.promises.rm(this.imagePath(record.id), { force: true });
      await fs.promises.rm(this.thumbnailPath(record.id), { force: true });
      throw error;
    }
    return record;
  }

  get(id: string): ResultRecord | undefined {
    if (!isResultId(id)) return undefined;
    const row = this.db.prepare('SELECT created_at, record FROM results WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.record) as ResultRecord) : undefined;
  }

  /** Newest first. Throws on a cursor this store did not hand out. */
  list(options: { limit?: number; cursor?: string | null } = {}): ResultPage {
    const limit = Math.min(Math.max(1, options.limit ?? 24), MAX_PAGE);
    let rows: Row[];
    if (options.cursor) {
      const position = decodeCursor(options.cursor);
      if (!position) throw new Error('Invalid cursor: pass back the nextCursor of the previous page unchanged.');
      rows = this.db
        .prepare(
          `SELECT created_at, record FROM results
           WHERE created_at < ? OR (created_at = ? AND id < ?)
           ORDER BY created_at DESC, id DESC LIMIT ?`,
        )
        .all(position[0], position[0], position[1], limit + 1) as Row[];
    } else {
      rows = this.db
        .prepare('SELECT created_at, record FROM results ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit + 1) as Row[];
    }
    const items = rows.slice(0, limit).map((row) => JSON.parse(row.record) as ResultRecord);
    const last = items.at(-1);
    const nextCursor =
      rows.length > limit && last ? encodeCursor(rows[limit - 1].created_at, last.id) : null;
    return { items, nextCursor };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM results').get() as { n: number }).n;
  }

  /** Removes the row first (the card disappears at once), then the files. */
  async delete(id: string): Promise<boolean> {
    if (!isResultId(id)) return false;
    const { changes } = this.db.prepare('DELETE FROM results WHERE id = ?').run(id);
    await fs.promises.rm(this.imagePath(id), { force: true });
    await fs.promises.rm(this.thumbnailPath(id), { force: true });
    return changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
