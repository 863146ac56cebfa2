// Persistent history: one better-sqlite3 database plus one PNG (and one thumbnail) per result under DATA_DIR.
// Writes are atomic in the order that keeps the two consistent: the files land first (temp file + fsync + rename +
// folder fsync), then the row is inserted in a transaction, so a listed row always has its image. A crash in between
// leaves at most an unlisted file, which the next open removes with any temp file. Files are named only by validated
// result ids and read without following symlinks. Deliberately single-writer: two servers must not share one
// DATA_DIR (a second, read-mostly process opens it with { sweep: false }).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { isResultId, type ResultRecord } from '../results.ts';
import { openDatabase } from './database.ts';
import { JobJournal } from './job-journal.ts';

const MAX_PAGE = 100;
/** `<id>.png` and `<id>.thumb.jpg` (`<id>.thumb.png` before thumbnails were JPEG): the only names the store writes (temp files end in .tmp). */
const STORED_FILE = /^([A-Za-z0-9_-]{22})(?:\.png|\.thumb\.png|\.thumb\.jpg)$/;

function isJpegBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

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

function checkedId(id: string): string {
  if (!isResultId(id)) throw new Error(`Not a result id: ${JSON.stringify(id.slice(0, 40))}; result ids are 22 base64url characters.`);
  return id;
}

export function newResultId(): string {
  return randomBytes(16).toString('base64url'); // 128 bits → 22 characters
}

/** Flushes a folder's entries (a rename is durable only then); a no-op where folders cannot be opened (Windows). */
async function syncFolder(folder: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(folder, 'r');
    await handle.sync();
  } catch {
    // Not supported on this platform; the rename is still atomic, only its durability across power loss is weaker.
  } finally {
    await handle?.close();
  }
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
  favourite: number;
}

/** The history's filters: words in the prompt, favourites only. */
export interface ResultFilter {
  query?: string;
  favourites?: boolean;
}

function filterSql(filter: ResultFilter): { where: string[]; values: (string | number)[] } {
  const where: string[] = [];
  const values: (string | number)[] = [];
  if (filter.favourites) where.push('favourite = 1');
  if (filter.query) {
    where.push("json_extract(record, '$.request.prompt') LIKE ? ESCAPE '\\'");
    values.push(`%${filter.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  return { where, values };
}

/** The stored record, with its favourite flag (a column, so starring never rewrites the record). */
function recordOf(row: Row): ResultRecord {
  const record = JSON.parse(row.record) as ResultRecord;
  return row.favourite ? { ...record, favourite: true } : record;
}

export class ResultsStore {
  readonly imagesDir: string;
  /** The jobs table of the same database. */
  readonly jobs: JobJournal;
  private readonly db: Database.Database;

  private constructor(db: Database.Database, imagesDir: string) {
    this.db = db;
    this.imagesDir = imagesDir;
    this.jobs = new JobJournal(db);
  }

  /**
   * Opens (creating if needed) DATA_DIR/studio.db and DATA_DIR/images. With `sweep` (the default, for the process
   * that writes results) it removes what a crash can leave: temp files, and image files whose row was never inserted.
   */
  static open(dataDir: string, options: { sweep?: boolean } = {}): ResultsStore {
    const imagesDir = path.join(dataDir, 'images');
    try {
      fs.mkdirSync(imagesDir, { recursive: true });
    } catch (error) {
      throw new Error(
        `Cannot create the history folder ${imagesDir}: ${(error as Error).message}. ` +
          'Set DATA_DIR to a writable folder.',
      );
    }
    const store = new ResultsStore(openDatabase(dataDir), imagesDir);
    if (options.sweep ?? true) store.sweep();
    return store;
  }

  /** Removes temp files and images without a row: both are invisible, so this only returns their space. */
  private sweep(): void {
    const listed = new Set((this.db.prepare('SELECT id FROM results').all() as { id: string }[]).map((row) => row.id));
    for (const name of fs.readdirSync(this.imagesDir)) {
      const id = STORED_FILE.exec(name)?.[1];
      if (name.endsWith('.tmp') || (id && !listed.has(id))) fs.rmSync(path.join(this.imagesDir, name), { force: true });
    }
  }

  /** Throws on anything but a result id, so no caller can build a path from unchecked input. */
  imagePath(id: string): string {
    return path.join(this.imagesDir, `${checkedId(id)}.png`);
  }

  /** The thumbnail's file: `.thumb.jpg` for JPEG bytes (what the engine makes now), `.thumb.png` otherwise and for older results. */
  thumbnailPath(id: string, kind: 'jpeg' | 'png' = 'png'): string {
    return path.join(this.imagesDir, `${checkedId(id)}.thumb.${kind === 'jpeg' ? 'jpg' : 'png'}`);
  }

  /** The stored PNG (or thumbnail) bytes; a symlink planted in its place is refused, not followed. */
  async readImage(id: string, variant: 'full' | 'thumbnail' = 'full'): Promise<Uint8Array> {
    if (variant === 'thumbnail') {
      try {
        return await this.readFile(this.thumbnailPath(id, 'jpeg'));
      } catch {
        return this.readFile(this.thumbnailPath(id, 'png'));
      }
    }
    return this.readFile(this.imagePath(id));
  }

  private async readFile(file: string): Promise<Uint8Array> {
    const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  }

  /**
   * Stores a result under a new id, or under `id` when given: the Redis queue derives it from the job id, so saving
   * the same job's result again (a retry after a crash between insert and acknowledgement) returns the stored record.
   */
  async save(result: NewResult, now = new Date(), id?: string): Promise<ResultRecord> {
    const existing = id === undefined ? undefined : this.get(id);
    if (existing) return existing;
    const { png, thumbnail, ...rest } = result;
    const record: ResultRecord = { id: id ?? newResultId(), createdAt: now.toISOString(), ...rest };
    await writeFileAtomic(this.imagePath(record.id), png);
    const thumbnailFile = this.thumbnailPath(record.id, isJpegBytes(thumbnail) ? 'jpeg' : 'png');
    await writeFileAtomic(thumbnailFile, thumbnail);
    await syncFolder(this.imagesDir);
    try {
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO results (id, created_at, record) VALUES (?, ?, ?)')
          .run(record.id, now.getTime(), JSON.stringify(record));
      })();
    } catch (error) {
      // The row never existed, so the files are unreachable: remove them rather than leak them.
      await fs.promises.rm(this.imagePath(record.id), { force: true });
      await fs.promises.rm(thumbnailFile, { force: true });
      throw error;
    }
    return record;
  }

  get(id: string): ResultRecord | undefined {
    if (!isResultId(id)) return undefined;
    const row = this.db.prepare('SELECT created_at, record, favourite FROM results WHERE id = ?').get(id) as Row | undefined;
    return row ? recordOf(row) : undefined;
  }

  /**
   * Newest first, optionally only favourites and only prompts containing `query` (case-insensitive for ASCII,
   * SQLite's LIKE; % and _ match themselves). Throws on a cursor this store did not hand out.
   */
  list(options: { limit?: number; cursor?: string | null } & ResultFilter = {}): ResultPage {
    const limit = Math.min(Math.max(1, options.limit ?? 24), MAX_PAGE);
    const { where, values } = filterSql(options);
    if (options.cursor) {
      const position = decodeCursor(options.cursor);
      if (!position) throw new Error('Invalid cursor: pass back the nextCursor of the previous page unchanged.');
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      values.push(position[0], position[0], position[1]);
    }
    const rows = this.db
      .prepare(
        `SELECT created_at, record, favourite FROM results ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...values, limit + 1) as Row[];
    const items = rows.slice(0, limit).map(recordOf);
    const last = items.at(-1);
    const nextCursor =
      rows.length > limit && last ? encodeCursor(rows[limit - 1].created_at, last.id) : null;
    return { items, nextCursor };
  }

  count(filter: ResultFilter = {}): number {
    const { where, values } = filterSql(filter);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM results ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(...values) as { n: number }).n;
  }

  /** Stars or unstars a result; false when there is no such result. */
  setFavourite(id: string, favourite: boolean): boolean {
    if (!isResultId(id)) return false;
    return this.db.prepare('UPDATE results SET favourite = ? WHERE id = ?').run(favourite ? 1 : 0, id).changes > 0;
  }

  /** Removes the row first (the card disappears at once), then the files. */
  async delete(id: string): Promise<boolean> {
    if (!isResultId(id)) return false;
    const { changes } = this.db.prepare('DELETE FROM results WHERE id = ?').run(id);
    await fs.promises.rm(this.imagePath(id), { force: true });
    await fs.promises.rm(this.thumbnailPath(id, 'jpeg'), { force: true });
    await fs.promises.rm(this.thumbnailPath(id, 'png'), { force: true });
    return changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
