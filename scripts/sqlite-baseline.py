#!/usr/bin/env python3
"""SQLite alone, the baseline of `make bench BENCH=rescan` (issue 18): the messages of a WeCom
JSON-lines archive into a table and an FTS5 trigram index, 2,000 rows per transaction, the way
the issue measured it. Prints one line: messages, seconds, messages per second."""
import json, os, sqlite3, sys, tempfile, time

def main():
    path = sys.argv[1]
    directory = tempfile.mkdtemp(prefix="cw-sqlite-baseline-")
    db = os.path.join(directory, "baseline.db")
    start = time.time()
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.execute("PRAGMA synchronous = NORMAL")
    c.execute("CREATE TABLE messages (rowid INTEGER PRIMARY KEY, msgid TEXT UNIQUE, msgtime INTEGER, sender TEXT, text TEXT)")
    c.execute("CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='rowid', tokenize='trigram')")
    rows = []
    count = 0
    def flush():
        c.execute("BEGIN")
        for r in rows:
            cur = c.execute("INSERT INTO messages (msgid, msgtime, sender, text) VALUES (?, ?, ?, ?)", r)
            c.execute("INSERT INTO messages_fts (rowid, text) VALUES (?, ?)", (cur.lastrowid, r[3]))
        c.execute("COMMIT")
        rows.clear()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            text = (m.get("text") or {}).get("content", "")
            rows.append((m["msgid"], m["msgtime"], m.get("from", ""), text))
            count += 1
            if len(rows) == 2000:
                flush()
    if rows:
        flush()
    c.close()
    seconds = time.time() - start
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))
    os.rmdir(directory)
    print(f"{count} {seconds:.3f} {count / seconds:.0f}")

main()
