// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "tenda",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Shop", targets: ["Shop"]),
        .library(name: "Telegram", targets: ["Telegram"]),
        .library(name: "Realtime", targets: ["Realtime"]),
        .executable(name: "tenda", targets: ["tenda"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", exact: "5.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "Store",
            dependencies: ["CLMDB"],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .target(
            name: "Telegram",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Shop",
            dependencies: [
                "Store",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]
        ),
        .target(
            name: "Realtime",
            dependencies: ["Store", "Shop"]
        ),
        .executableTarget(
            name: "tenda",
            dependencies: [
                "Store",
                "Shop",
                "Telegram",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store"]
        ),
        .testTarget(
            name: "TelegramTests",
            dependencies: ["Telegram"]
        ),
        .testTarget(
            name: "ShopTests",
            dependencies: ["Shop", "Store"]
        ),
        .testTarget(
            name: "RealtimeTests",
            dependencies: ["Realtime", "Shop", "Store"]
        ),
        .testTarget(
            name: "TendaCLITests",
            dependencies: ["tenda", "Store"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
