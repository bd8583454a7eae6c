// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Switchboard", targets: ["Switchboard"]),
        .library(name: "SwitchboardExports", targets: ["SwitchboardExports"]),
        .executable(name: "switchboard", targets: ["SwitchboardCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "Switchboard",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
            ],
            // The numeric core (feature extraction, cross-validation) is 20-50x slower unoptimised; the tests
            // train real models (the shipped one among them), so debug builds optimise this module too.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .executableTarget(
            name: "SwitchboardCLI",
            dependencies: [
                "Switchboard",
                "SwitchboardExports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SwitchboardTests", dependencies: ["Switchboard"]),
        .systemLibrary(
            name: "CLibXML2",
            path: "Sources/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(
            name: "SwitchboardExports",
            dependencies: ["Switchboard", "CLibXML2"]
        ),
        .testTarget(
            name: "SwitchboardExportsTests",
            dependencies: ["SwitchboardExports", "Switchboard"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
