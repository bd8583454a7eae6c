// swift-tools-version:6.1
// Routing latency benchmarks (issue 4), kept out of the main package so that its dependencies
// (package-benchmark and its own) never reach the library's users or CI.
//
//   swift package --package-path Benchmarks/Latency --scratch-path Benchmarks/Latency/.build benchmark
//
// Run from the repository root: the benchmark reads models/default.sbm and models/policy.yaml.
import PackageDescription

let package = Package(
    name: "SwitchboardLatency",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(name: "Switchboard", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "RouteLatency",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Switchboard", package: "Switchboard"),
            ],
            path: "Benchmarks/RouteLatency",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
