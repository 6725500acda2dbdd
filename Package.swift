// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "varsel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "varsel", targets: ["varsel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // libcurl, reached through typed shims (Swift cannot call C variadics).
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libqrencode, for the EPC QR codes of payment letters and emails.
        .systemLibrary(
            name: "CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // glibc's malloc tunables (the daemon's arena limit).
        .systemLibrary(name: "CMalloc"),
        // SQLite's allocator: small blocks kept by each thread (Debian's SQLite has no lookaside).
        .target(name: "CSQLiteMemory", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The writer's log writes gathered into large ones (a VFS over SQLite's own).
        .target(name: "CSQLiteWALBuffer", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Pure core: model, validation, planning, SMS encoding, formatting. No I/O.
        .target(
            name: "VarselCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // A libcurl multi HTTP client on its own thread. Knows nothing of Varsel.
        .target(
            name: "VarselHTTP",
            dependencies: ["CCurl"],
            swiftSettings: strict
        ),
        // Payment codes as images: QR symbols through libqrencode, Code 128, PNG.
        .target(
            name: "VarselCodes",
            dependencies: ["VarselCore", "CQRencode"],
            swiftSettings: strict
        ),
        // Templates: loading a template set, rendering with swift-mustache, the operator's checks.
        .target(
            name: "VarselTemplates",
            dependencies: [
                "VarselCore", "VarselCodes",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // The durable queue: store protocol and its SQLite implementation.
        .target(
            name: "VarselStore",
            dependencies: [
                "VarselCore", "CSQLiteMemory", "CSQLiteWALBuffer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The store for several hosts: PostgreSQL through postgres-nio, behind the same protocol.
        .target(
            name: "VarselPostgres",
            dependencies: [
                "VarselCore", "VarselStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Gateway adapters (http-json, Twilio) on top of VarselHTTP.
        .target(
            name: "VarselGateways",
            dependencies: ["VarselCore", "VarselHTTP", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The daemon: configuration, dispatcher, sandbox gateway, demo and bench.
        .target(
            name: "VarselDaemon",
            dependencies: [
                "CMalloc", "VarselCore", "VarselHTTP", "VarselTemplates", "VarselStore", "VarselPostgres", "VarselGateways",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // The executable: argument parsing only.
        .executableTarget(
            name: "varsel",
            dependencies: [
                "VarselDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Shared by the test targets: fixtures, temporary files, child processes.
        .target(
            name: "VarselTestSupport",
            dependencies: [
                "VarselCore", "VarselDaemon",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/VarselTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "VarselCoreTests",
            dependencies: ["VarselCore", "VarselTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VarselCodesTests",
            dependencies: ["VarselCodes", "VarselCore", "VarselTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VarselHTTPTests",
            dependencies: [
                "VarselHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VarselTemplatesTests",
            dependencies: ["VarselCore", "VarselTemplates", "VarselTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VarselIntegrationTests",
            dependencies: [
                "VarselCore", "VarselHTTP", "VarselTemplates", "VarselStore", "VarselPostgres", "VarselGateways",
                "VarselDaemon", "VarselTestSupport", "CSQLiteMemory", "CSQLiteWALBuffer", .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Snapshots"],
            swiftSettings: strict
        ),
    ]
)
