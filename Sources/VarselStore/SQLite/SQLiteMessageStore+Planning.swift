import GRDB
import VarselCore

/// What the send loop reads to plan a batch, besides the batch itself.
extension SQLiteMessageStore {
    public func planningReads(recipientIDs: Set<String>, caseRefs: Set<String>, stepCaseRefs: Set<String>) async throws -> PlanningReads {
        guard !(recipientIDs.isEmpty && caseRefs.isEmpty && stepCaseRefs.isEmpty) else { return PlanningReads() }
        // One read on one connection: the three after one another, with one hop to a reader's queue
        // and one page cache (each concurrent read would fill a reader's own).
        let (records, events, steps) = try await pool.read { db in
            (
                try Self.recipientRecords(db, ids: Array(recipientIDs)), try Self.caseEvents(db, caseRefs: Array(caseRefs)),
                try Self.caseSteps(db, caseRefs: Array(stepCaseRefs))
            )
        }
        return PlanningReads(recipients: try StoredRows.recipients(records), caseEvents: events, caseSteps: steps)
    }
}
