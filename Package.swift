// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "AudioSpecNet",
    products: [
        .executable(name: "audiospecnet", targets: ["audiospecnet"]),
        .library(name: "AudioSpecNet", targets: ["AudioSpecNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // MARK: - Public API
        .executableTarget(
            name: "audiospecnet",
            dependencies: [
                "AudioSpecNet",
                "AudioSpecNetService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The HTTP service (`audiospecnet serve`): kept out of the core library so that library users who
        // only classify or train do not build or link a server.
        .target(
            name: "AudioSpecNetService",
            dependencies: [
                "AudioSpecNet",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "AudioSpecNet",
            dependencies: ["CSndfile", "CFFTW", "COpenBLAS", "CSoxr", "CPNG", "CPackedGEMM"],
            // The default model (Model/DefaultModel.swift finds it in the bundle beside the executable).
            resources: [.copy("Resources/DefaultModel")]
        ),

        // MARK: - Implementation details: an AVX2 kernel in C (Swift here compiles for baseline x86-64, and
        // the kernel needs AVX2 + FMA intrinsics; it checks the CPU at run time), and system libraries found
        // through pkg-config
        .target(name: "CPackedGEMM"),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        // MARK: - Fuzzing: the targets (shared with the tests, which replay their corpora) and the driver
        .target(name: "_FuzzTargets", dependencies: ["AudioSpecNet"]),
        .executableTarget(name: "audiospecnet-fuzz", dependencies: ["_FuzzTargets"]),

        // MARK: - Unit test bundles
        .target(name: "_TestSupport", dependencies: ["AudioSpecNet"]),
        .testTarget(
            name: "AudioSpecNetTests",
            dependencies: ["AudioSpecNet", "AudioSpecNetService", "_TestSupport", "_FuzzTargets",
                           .product(name: "Logging", package: "swift-log")],
            resources: []
        ),
    ],
    // Language mode 5 by default: the core library's kernels hand raw pointers to worker threads, which
    // strict Sendable checking would force through wrappers on every hot loop. The service and the CLI,
    // where concurrency is Swift's own (tasks, actors, the server), are in Swift 6 mode (their
    // `swiftSettings`).
    swiftLanguageModes: [.v5]
)
