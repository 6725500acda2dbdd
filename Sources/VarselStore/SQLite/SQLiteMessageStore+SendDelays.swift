import GRDB

extension SQLiteMessageStore {
    /// For every send a gateway accepted in the store file at `path`, the seconds from the message's
    /// creation (its enqueue) to the gateway's answer: the enqueue → gateway latency that
    /// `varsel bench --gateway --latency` reports. Opens the file read-only, as a second reader of a
    /// store that may still be in use.
    public static func acceptedSendDelays(path: String) throws -> [Double] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            try Double.fetchAll(db, sql: """
                SELECT a.finished_at - m.created_at FROM attempts a JOIN messages m ON m.id = a.message_id
                WHERE a.outcome = 'accepted' AND a.finished_at IS NOT NULL
                """)
        }
    }
}
