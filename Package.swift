// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "tenda",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Store", targets: ["Store"]),
        .executable(name: "tenda", targets: ["tenda"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "Store",
            dependencies: ["CLMDB"]
        ),
        .executableTarget(
            name: "tenda",
            dependencies: [
                "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store"]
        ),
        .testTarget(
            name: "TendaCLITests",
            dependencies: ["tenda", "Store"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
