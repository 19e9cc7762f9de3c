// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vtx-link-fuzz",
    dependencies: [
        .package(name: "vtx-link", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "FuzzPath", dependencies: [.product(name: "VTXHTTP", package: "vtx-link")]),
    ],
    swiftLanguageModes: [.v5]
)
