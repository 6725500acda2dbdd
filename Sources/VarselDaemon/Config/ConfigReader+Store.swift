import Foundation
import VarselPostgres
import VarselStore

extension ConfigReader {
    /// `store`: SQLite (`path`, `synchronous`) or PostgreSQL (`url`, `password_file` or
    /// `password_env`, `sslmode`, `ssl_root_cert`, `pool_size`). The password is read even by
    /// commands that skip gateway secrets: every command that opens the store needs it.
    mutating func readStore(_ node: ConfigTree?) -> VarselConfig.Store {
        checkKeys(node, "store", allowed: ["backend", "path", "synchronous", "url", "password_file", "password_env", "sslmode", "ssl_root_cert", "pool_size"])
        let backendName = requiredString(node?["backend"], "store.backend")
        let backend = VarselConfig.Store.Backend(rawValue: backendName)
        if backend == nil {
            fail("store.backend", "unknown backend '\(backendName)'; use \(VarselConfig.Store.Backend.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        let syncName = requiredString(node?["synchronous"], "store.synchronous")
        let synchronous = SQLiteMessageStore.Synchronous(rawValue: syncName.uppercased())
        if synchronous == nil { fail("store.synchronous", "use full, normal or extra") }
        var store = VarselConfig.Store(
            backend: backend ?? .sqlite, path: resolvePath(requiredString(node?["path"], "store.path")), synchronous: synchronous ?? .full)

        let url = string(node?["url"], "store.url") ?? ""
        let passwordFile = string(node?["password_file"], "store.password_file") ?? ""
        let passwordEnv = string(node?["password_env"], "store.password_env") ?? ""
        let sslModeName = requiredString(node?["sslmode"], "store.sslmode")
        let sslMode = PostgresSettings.SSLMode(rawValue: sslModeName)
        if sslMode == nil {
            fail("store.sslmode", "'\(sslModeName)' is not one of \(PostgresSettings.SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let rootCert = string(node?["ssl_root_cert"], "store.ssl_root_cert") ?? ""
        let poolSize = int(node?["pool_size"], "store.pool_size", range: 1...256)
        guard backend == .postgres else { return store }

        guard !url.isEmpty else {
            fail("store.url", "required with backend postgres, e.g. postgres://varsel@db.example:5432/varsel")
            return store
        }
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings.parse(url: url)
        } catch {
            // The URL is not echoed: it may hold a password.
            fail("store.url", "\(error)")
            return store
        }
        // An explicit store.sslmode wins over the URL's only when the URL names none.
        if !url.contains("sslmode="), let sslMode { settings.sslMode = sslMode }
        settings.poolSize = poolSize
        if !rootCert.isEmpty {
            let resolved = resolvePath(rootCert)
            if !FileManager.default.isReadableFile(atPath: resolved) { fail("store.ssl_root_cert", "cannot read \(resolved)") }
            settings.sslRootCert = resolved
        }
        if !passwordFile.isEmpty, !passwordEnv.isEmpty {
            fail("store.password_file", "set store.password_file or store.password_env, not both")
        } else if !passwordFile.isEmpty {
            let resolved = credentialPath(passwordFile)
            store.passwordSource = "password_file \(resolved)"
            if let data = FileManager.default.contents(atPath: resolved) {
                let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
                if password.isEmpty { fail("store.password_file", "\(resolved) is empty") }
                settings.password = password
            } else {
                fail("store.password_file", "cannot read \(resolved)")
            }
        } else if !passwordEnv.isEmpty {
            store.passwordSource = "password_env \(passwordEnv)"
            if let password = environment[passwordEnv], !password.isEmpty {
                settings.password = password
            } else {
                fail("store.password_env", "environment variable \(passwordEnv) is not set")
            }
        }
        store.postgres = settings
        return store
    }
}
