import Foundation
import Synchronization
import Testing
@testable import VarselCore

/// A data check that follows a set that can change (the daemon's templates, reloaded when edited) is
/// asked for the check in force once a message, or once for everything a pinned validator checks.
@Suite struct DataCheckPinningTests {
    /// The set in force (its version), and how many times the check in force was asked for.
    struct InForce {
        var version = 1
        var asked = 0
    }

    final class State: Sendable {
        let inForce = Mutex(InForce())
        func withLock<T>(_ body: (inout InForce) -> T) -> T { inForce.withLock { body(&$0) } }
    }

    /// A validator whose data check refuses `data.creditor` while version 2 is in force.
    static func validator(_ state: State) -> MessageValidator {
        MessageValidator(
            kinds: KindRule.shipped,
            dataChecking: .inForce {
                let version = state.withLock { state -> Int in
                    state.asked += 1
                    return state.version
                }
                return { _, _ in version == 2 ? [ValidationError(field: "data.creditor", problem: "refused by version 2")] : [] }
            },
            now: { MessageValidatorTests.now })
    }

    static let message = Array(MessageValidatorTests.example.utf8)

    @Test("unpinned, the check in force is asked for each message and follows a change of the set at once")
    func unpinnedFollowsTheSet() {
        let state = State()
        let validator = Self.validator(state)
        for _ in 0..<3 { #expect(throws: Never.self) { try validator.validate(json: Self.message).get() } }
        #expect(state.withLock { $0.asked } == 3)
        state.withLock { $0.version = 2 }
        guard case .failure(let failure) = validator.validate(json: Self.message) else {
            Issue.record("the set of version 2 refuses the message")
            return
        }
        #expect(failure.errors.map { $0.field } == ["data.creditor"])
    }

    @Test("pinned, the check in force is asked for once, when pinned, and kept for every message after, the set's change included")
    func pinnedAsksOnce() {
        let state = State()
        let pinned = Self.validator(state).pinned()
        #expect(state.withLock { $0.asked } == 1)
        state.withLock { $0.version = 2 }
        for _ in 0..<5 { #expect(throws: Never.self) { try pinned.validate(json: Self.message).get() } }
        #expect(state.withLock { $0.asked } == 1)
        // Pinned again, it holds what it held; a validator pinned now takes the set in force now.
        #expect(throws: Never.self) { try pinned.pinned().validate(json: Self.message).get() }
        #expect(state.withLock { $0.asked } == 1)
        let repinned = Self.validator(state).pinned()
        #expect(state.withLock { $0.asked } == 2)
        if case .success = repinned.validate(json: Self.message) { Issue.record("the set of version 2 refuses the message") }
    }

    @Test("a fixed check, or none, is the same pinned or not")
    func fixedChecks() {
        let fixed = MessageValidator(kinds: KindRule.shipped, dataCheck: { _, _ in [ValidationError(field: "data.x", problem: "always")] }, now: { MessageValidatorTests.now })
        for validator in [fixed, fixed.pinned()] {
            guard case .failure(let failure) = validator.validate(json: Self.message) else {
                Issue.record("the fixed check refuses every message")
                continue
            }
            #expect(failure.errors.map { $0.field } == ["data.x"])
        }
        let none = MessageValidator(kinds: KindRule.shipped, now: { MessageValidatorTests.now })
        #expect(throws: Never.self) { try none.pinned().validate(json: Self.message).get() }
    }
}
