import Foundation
import Hummingbird
import VarselCore
import VarselStore

/// What a token may do. `admin` implies every other scope.
public enum Scope: String, Sendable, CaseIterable {
    case enqueue, read, cancel, admin
}

/// Checks bearer tokens: those created with `varsel token create` (only their SHA-256 is stored) and
/// those configured for automated deployments (`server.tokens_file`, `server.tokens_env`).
struct TokenVerifier: Sendable {
    let store: any MessageStore
    let staticTokens: [(scopes: [String], token: String)]

    /// The scopes of the request's token; throws 401 when there is no valid token.
    func scopes(for request: Request) async throws -> Set<String> {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { throw Problem.unauthorized }
        let token = String(header.dropFirst("bearer ".count)).trimmed
        guard !token.isEmpty else { throw Problem.unauthorized }
        for entry in staticTokens where ConstantTime.equal(Array(entry.token.utf8), Array(token.utf8)) {
            return Set(entry.scopes)
        }
        guard let stored = try await store.token(hash: TokenFormat.hash(token)), stored.revokedAt == nil else {
            throw Problem.unauthorized
        }
        return Set(stored.scopes)
    }

    /// Throws 401 or 403 unless the request's token carries `scope` (or `admin`).
    func require(_ scope: Scope, _ request: Request) async throws {
        let scopes = try await scopes(for: request)
        guard scopes.contains(scope.rawValue) || scopes.contains(Scope.admin.rawValue) else { throw Problem.forbidden(scope.rawValue) }
    }
}

/// API tokens: `vt_` + 32 random bytes in base 32; stored as their SHA-256.
public enum TokenFormat {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return "vt_" + String((0..<52).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    public static func hash(_ token: String) -> String { Digest.sha256(Data(token.utf8)) }
}
