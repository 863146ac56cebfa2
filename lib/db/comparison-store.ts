// Persistent comparisons (the /c/<id> share links): one small JSON file per comparison under DATA_DIR/comparisons,
// written atomically (temp file + fsync + rename, lib/db/results-store.ts writeFileAtomic) and read without following
// symlinks, named only by validated 128-bit ids. A comparison lists its columns' result ids (or the job still owed
// one); the results themselves stay in the history store. Deliberately outside the SQLite schema: the records are
// few, small and written once or twice (when their jobs end), and a file per record needs no migration.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isComparisonId, type ComparisonRecord } from '../comparison.ts';
import { writeFileAtomic } from './results-store.ts';

export function newComparisonId(): string {
  return randomBytes(16).toString('base64url'); // 128 bits → 22 characters
}

function checkedId(id: string): string {
  if (!isComparisonId(id)) throw new Error(`Not a comparison id: ${JSON.stringify(id.slice(0, 40))}; ids are 22 base64url characters.`);
  return id;
}

export class ComparisonStore {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creating) DATA_DIR/comparisons and removes temp files an interrupted write left. */
  static open(dataDir: string): ComparisonStore {
    const dir = path.join(dataDir, 'comparisons');
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new Error(`Cannot create the comparisons folder ${dir}: ${(error as Error).message}. Set DATA_DIR to a writable folder.`);
    }
    for (const name of fs.readdirSync(dir)) if (name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
    return new ComparisonStore(dir);
  }

  private file(id: string): string {
    return path.join(this.dir, `${checkedId(id)}.json`);
  }

  /** Writes the whole record (a new one, or one whose columns settled). */
  async save(record: ComparisonRecord): Promise<ComparisonRecord> {
    await writeFileAtomic(this.file(record.id), new TextEncoder().encode(JSON.stringify(record)));
    return record;
  }

  /** Undefined for an unknown or malformed id; a symlink planted in a record's place is refused, not followed. */
  get(id: string): ComparisonRecord | undefined {
    if (!isComparisonId(id)) return undefined;
    let fd: number;
    try {
      fd = fs.openSync(this.file(id), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (error) {
      // ELOOP: a symlink in the record's place; treated like a missing record.
      if (['ENOENT', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw error;
    }
    try {
      return JSON.parse(fs.readFileSync(fd, 'utf8')) as ComparisonRecord;
    } finally {
      fs.closeSync(fd);
    }
  }
}
