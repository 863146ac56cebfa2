// Opens DATA_DIR/studio.db (better-sqlite3, WAL, synchronous FULL: a committed transaction survives kill -9 and a
// power cut) and brings its schema up to date, all steps in one transaction. Deliberately the only place that knows
// the table layout and its history; the stores (results-store.ts, job-journal.ts) own the queries.
import path from 'node:path';
import Database from 'better-sqlite3';

/** Step N brings a database at user_version N to N + 1. Never edit a step; append one. */
const MIGRATIONS: (string | ((db: Database.Database) => void))[] = [
  `CREATE TABLE IF NOT EXISTS results (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL, -- ms since epoch, the paging key
     record TEXT NOT NULL         -- ResultRecord as JSON
   );
   CREATE INDEX IF NOT EXISTS results_by_time ON results (created_at DESC, id DESC);`,
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,        -- queued | running | succeeded | failed | canceled
     version INTEGER NOT NULL,    -- the queue's snapshot version; an older event never overwrites a newer one
     input TEXT NOT NULL,         -- JobInput as JSON
     result_id TEXT,              -- the saved result, once succeeded
     error TEXT,                  -- ApiErrorBody as JSON, once failed
     created_at INTEGER NOT NULL, -- ms since epoch
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE INDEX jobs_unfinished ON jobs (status) WHERE finished_at IS NULL;
   CREATE INDEX jobs_by_end ON jobs (finished_at);`,
  // A function, as SQLite has no ADD COLUMN IF NOT EXISTS: a database whose results table already has the column
  // (rebuilt from a newer one's) is left as it is.
  (db: Database.Database) => {
    const columns = (db.prepare('PRAGMA table_info(results)').all() as { name: string }[]).map((column) => column.name);
    if (!columns.includes('favourite')) db.exec('ALTER TABLE results ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0'); // 1: starred
    db.exec('CREATE INDEX IF NOT EXISTS results_favourites ON results (created_at DESC, id DESC) WHERE favourite = 1');
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(dataDir: string): Database.Database {
  const file = path.join(dataDir, 'studio.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // A second process (a worker) may hold the write lock for a moment; wait instead of failing at once.
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `${file} has schema ${version}, newer than this studio (${SCHEMA_VERSION}). ` +
        'Update the studio, or point DATA_DIR at another folder.',
    );
  }
  db.transaction(() => {
    for (let step = version; step < SCHEMA_VERSION; step++) {
      const migration = MIGRATIONS[step];
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  return db;
}
