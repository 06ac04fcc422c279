import GRDB

@testable import Store

extension SQLiteSchema {
    /// Makes, at `path`, a store as the release before the search form left it: every migration
    /// up to v8, and `messages` (id, text, time) inserted as that release inserted them, its
    /// triggers filling its trigram index.
    static func previousRelease(path: String, messages: [(String, String, Int64)]) throws {
        let queue = try DatabaseQueue(path: path)
        try migrator.migrate(queue, upTo: "v8-window-last-touched")
        try queue.write { db in
            for (id, text, time) in messages {
                try db.execute(
                    sql: """
                        INSERT INTO messages (msgid, msgtime, action, msgtype, sender, sender_kind, tolist, roomid,
                            conversation, text, file, line, offset)
                        VALUES (?, ?, 'send', 'text', 'zhangwei', 'staff', '["wmCustomer00000000001"]', '',
                            'zhangwei|wmCustomer00000000001', ?, 'a.jsonl', 1, 0)
                        """,
                    arguments: [id, time, text])
            }
        }
        try queue.close()
    }
}
