// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "argus",
    platforms: [.macOS("26.0")],
    products: [
        .executable(name: "argus", targets: ["argus"]),
        .library(name: "ArgusCore", targets: ["ArgusCore"]),
        // The Swift server SDK: unseal, webhook signatures, replay guard, Server API client.
        .library(name: "ArgusSDK", targets: ["ArgusSDK"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // The system zlib (raw deflate for sealed results).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Pure logic and wire formats: no I/O.
        .target(
            name: "ArgusCore",
            dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // Identification: visits to visitors (pure, no I/O).
        .target(name: "ArgusIdentification", dependencies: ["ArgusCore"], swiftSettings: strict),
        // Smart signals and risk: detectors over components and server facts (pure, no I/O).
        .target(name: "ArgusSignals", dependencies: ["ArgusCore"], swiftSettings: strict),
        // The Swift server SDK (usable without the server).
        .target(
            name: "ArgusSDK",
            dependencies: [
                "ArgusCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // BIN risk: the BIN table, time zone countries and the score (pure, no I/O).
        .target(name: "ArgusRisk", dependencies: ["ArgusCore"], swiftSettings: strict),
        // A small Redis client (RESP2 on SwiftNIO): cache, rate limits, replay guards.
        .target(
            name: "ArgusRedis",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The storage protocol and its records: no database types.
        .target(name: "ArgusStorage", dependencies: ["ArgusCore"], swiftSettings: strict),
        // SQLite's page cache, wrapped: the per-commit truncation walks the cache only when it
        // can hold something to drop (Sources/CSQLitePageCache/argus_pcache.c).
        .target(name: "CSQLitePageCache", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The embedded SQLite implementation (GRDB).
        .target(
            name: "ArgusSQLite",
            dependencies: ["ArgusCore", "ArgusStorage", "CSQLitePageCache", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The PostgreSQL implementation (PostgresNIO), for several instances on one database.
        .target(
            name: "ArgusPostgres",
            dependencies: [
                "ArgusCore", "ArgusStorage", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // HTTP: controllers, middleware, services, buildApplication.
        .target(
            name: "ArgusServer",
            dependencies: [
                "ArgusCore", "ArgusIdentification", "ArgusSignals", "ArgusStorage", "ArgusSQLite", "ArgusPostgres", "ArgusRisk",
                "ArgusRedis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Resources/agent"), .copy("Resources/openapi.yaml"), .copy("Resources/risk")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "argus",
            dependencies: [
                "ArgusServer", "ArgusIdentification", "ArgusSignals", "ArgusStorage", "ArgusSQLite", "ArgusPostgres", "ArgusRisk",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        // What the test targets share (a free loopback port); not a product.
        .target(name: "ArgusTestSupport", path: "Tests/ArgusTestSupport", swiftSettings: strict),
        .testTarget(name: "ArgusCoreTests", dependencies: ["ArgusCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "ArgusIdentificationTests", dependencies: ["ArgusIdentification", "ArgusCore"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "ArgusServerTests",
            dependencies: [
                "ArgusServer", "ArgusSQLite", "ArgusPostgres", "ArgusSDK", "ArgusRisk", "ArgusRedis",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ArgusSignalsTests", dependencies: ["ArgusSignals", "ArgusCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "ArgusRiskTests", dependencies: ["ArgusRisk", "ArgusCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "ArgusRedisTests", dependencies: ["ArgusRedis"], swiftSettings: strict),
        .testTarget(
            name: "ArgusPostgresTests",
            dependencies: [
                "ArgusPostgres", "ArgusStorage", "ArgusCore", "ArgusTestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ArgusSDKTests", dependencies: ["ArgusSDK"], swiftSettings: strict),
        .testTarget(
            name: "ArgusCLITests",
            dependencies: ["argus", "ArgusCore", "ArgusPostgres", "ArgusTestSupport", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strict),
    ]
)
