// swift-tools-version:6.1
//
// session-ledger: rebuilds Apache Livy sessions from Livy, YARN and CloudTrail logs into one
// SQLite file and writes reports. A thin executable over one library module per stage:
//
//   session-ledger → LedgerCommands → LedgerPipeline → {LedgerDiscover, LedgerFormats,
//                                                      LedgerStore, LedgerDerive, LedgerReports}
//                                                    → LedgerModel
//
// Dependencies point down only; ARCHITECTURE.md has the one-page picture.

import PackageDescription

let package = Package(
    name: "session-ledger",
    products: [
        .executable(name: "session-ledger", targets: ["session-ledger"])
    ],
    dependencies: [
        // SQLite: migrations, prepared statements, read-only connections.
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        // CLI: the command tree, help, usage errors.
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // Diagnostics logging to stderr.
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        // SHA-256 of every input file (BoringSSL's assembly, several hundred MB/s).
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        // The config file (TOML 1.0, with line numbers in parse errors).
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        // Report templates a company can reword without touching code.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
    ],
    targets: [
        // MARK: System libraries

        /** zlib, for streaming gzip inflate (`zlib1g-dev`). */
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        /** SQLite's process-wide settings (`sqlite3_config` is variadic: a C shim calls it). */
        .systemLibrary(name: "CSQLiteConfig", providers: [.apt(["libsqlite3-dev"])]),

        /** The byte scan of every text log line: its end, and whether it is printable ASCII (SSE2). */
        .target(name: "CTextScan"),

        // MARK: Model

        /** Value types every stage shares: provenance, diagnostics, table batches, instants. */
        .target(name: "LedgerModel"),
        /** The threads: one ordered, bounded, cancellable worker pool; memory given back. */
        .target(name: "LedgerRuntime"),

        // MARK: Stages

        /** discover + decode: walk inputs, layout context, fingerprints, gzip inflate, lines. */
        .target(
            name: "LedgerDiscover",
            dependencies: [
                "LedgerModel", "CZlib", "CTextScan",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        /** parse: recognise a format by content; one parser per format → typed table rows. */
        .target(
            name: "LedgerFormats", dependencies: ["LedgerModel"],
            // Which CloudTrail records are kept: one file, compiled in, and read by the scale-out job.
            resources: [.embedInCode("CloudTrail/relevance.json")]),
        /** The one layer over SQLite's C API, under GRDB: statements bound and read in place,
            multi-row inserts, read-only connections beside a write, process settings. Store,
            derive and reports share it; nothing else imports GRDBSQLite. */
        .target(
            name: "LedgerSQLite",
            dependencies: [
                "LedgerModel", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"), "CSQLiteConfig",
            ]),
        /** load: the SQLite schema (frozen migrations) and the single ordered writer. */
        .target(
            name: "LedgerStore",
            dependencies: ["LedgerModel", "LedgerSQLite", .product(name: "GRDB", package: "GRDB.swift")]),
        /** derive: rebuild derived tables from staging tables in one transaction. */
        .target(
            name: "LedgerDerive",
            dependencies: [
                "LedgerModel", "LedgerRuntime", "LedgerSQLite", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        /** report: run read-only SQL and render result tables, CSV files and the Markdown report. */
        .target(
            name: "LedgerReports",
            dependencies: [
                "LedgerModel", "LedgerSQLite", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // MARK: Orchestration & CLI

        /** The pipeline: config, ordered stages, parallel parse with one writer, run summary. */
        .target(
            name: "LedgerPipeline",
            dependencies: [
                "LedgerModel", "LedgerRuntime", "LedgerSQLite", "LedgerDiscover", "LedgerFormats", "LedgerStore",
                "LedgerDerive",
                "LedgerReports",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        /** The command tree (ingest, status, query, report, run, verify, demo). */
        .target(
            name: "LedgerCommands",
            dependencies: [
                "LedgerPipeline", "LedgerReports", "LedgerStore", "LedgerModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        /** The executable: one file that calls the command tree. */
        .executableTarget(
            name: "session-ledger",
            dependencies: ["LedgerCommands", .product(name: "Logging", package: "swift-log")]),

        // MARK: Tests

        /** Fixtures, real gzip writing and temporary directories for the tests. */
        .target(
            name: "LedgerTestSupport",
            dependencies: ["CZlib"],
            path: "Tests/LedgerTestSupport",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "LedgerModelTests",
            dependencies: ["LedgerModel", "LedgerTestSupport"]),
        .testTarget(
            name: "LedgerRuntimeTests",
            dependencies: ["LedgerRuntime", "LedgerTestSupport"]),
        .testTarget(
            name: "LedgerDiscoverTests",
            dependencies: ["LedgerDiscover", "LedgerModel", "CTextScan", "LedgerTestSupport"]),
        .testTarget(
            name: "LedgerFormatsTests",
            dependencies: ["LedgerFormats", "LedgerTestSupport"]),
        .testTarget(
            name: "LedgerSQLiteTests",
            dependencies: [
                "LedgerSQLite", "LedgerModel", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: [
                "LedgerStore", "LedgerSQLite", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        /** Ledgers made by a real ingest, for the tests of derive and reports. */
        .target(
            name: "LedgerScenarios",
            dependencies: [
                "LedgerPipeline", "LedgerStore", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/LedgerScenarios"),
        .testTarget(
            name: "LedgerDeriveTests",
            dependencies: [
                "LedgerDerive", "LedgerSQLite", "LedgerStore", "LedgerPipeline", "LedgerScenarios", "LedgerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "LedgerReportsTests",
            dependencies: [
                "LedgerReports", "LedgerStore", "LedgerPipeline", "LedgerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "LedgerPipelineTests",
            dependencies: [
                "LedgerPipeline", "LedgerDerive", "LedgerFormats", "LedgerStore", "LedgerDiscover", "LedgerModel",
                "LedgerScenarios", "LedgerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "LedgerCommandsTests",
            // Runs the built executable, as a user would.
            dependencies: ["session-ledger", "LedgerTestSupport"]),
    ]
)

// Each stage module's README.md states its boundary; it is documentation, not a resource.
let documentedModules: Set<String> = [
    "LedgerModel", "LedgerRuntime", "LedgerSQLite", "LedgerDiscover", "LedgerFormats", "LedgerStore", "LedgerDerive",
    "LedgerReports",
    "LedgerPipeline", "LedgerCommands",
]
for target in package.targets where documentedModules.contains(target.name) {
    target.exclude.append("README.md")
}

// Swift settings for the Swift targets (CTextScan is C: it has none).
for target in package.targets where target.type != .system && target.name != "CTextScan" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
