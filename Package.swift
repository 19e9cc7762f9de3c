// swift-tools-version:6.0
// VTX Link — an edge media gateway. Layers, one import direction:
//   CUV/CYAML (C) → VTXSystem (libc seam) → VTXLoop (libuv) → VTXHTTP (pure) →
//   VTXServer (connections) → VTXConfig → VTXEngine → VTXWeb → vtx-link
import PackageDescription

let package = Package(
    name: "vtx-link",
    products: [
        .executable(name: "vtx-link", targets: ["vtx-link"]),
        .library(name: "VTXWeb", targets: ["VTXWeb"]),
        .library(name: "VTXHTTP", targets: ["VTXHTTP"]),
        .library(name: "VTXConfig", targets: ["VTXConfig"]),
    ],
    targets: [
        .systemLibrary(name: "CUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "CSystem"),
        .target(name: "VTXSystem", dependencies: ["CSystem"]),
        .target(name: "VTXLoop", dependencies: ["CUV", "VTXSystem"]),
        .target(name: "VTXHTTP"),
        .target(name: "VTXServer", dependencies: ["VTXLoop", "VTXHTTP", "VTXSystem"]),
        .target(name: "VTXConfig", dependencies: ["CYAML", "VTXSystem"]),
        .target(name: "VTXEngine", dependencies: ["VTXLoop", "VTXConfig", "VTXSystem"]),
        .target(name: "CDashboard"),
        .target(name: "VTXWeb", dependencies: ["CDashboard", "VTXServer", "VTXEngine", "VTXConfig", "VTXHTTP", "VTXLoop", "VTXSystem"]),
        .executableTarget(name: "vtx-link", dependencies: ["VTXWeb", "VTXEngine", "VTXConfig", "VTXSystem"]),

        .testTarget(name: "VTXHTTPTests", dependencies: ["VTXHTTP"], exclude: ["Fixtures"]),
        .testTarget(name: "VTXConfigTests", dependencies: ["VTXConfig"], exclude: ["Fixtures"]),
        .testTarget(name: "VTXEngineTests", dependencies: ["VTXEngine"]),
        .testTarget(name: "VTXLoopTests", dependencies: ["VTXLoop", "CUV"]),
        .testTarget(name: "VTXServerTests", dependencies: ["VTXServer"]),
        .testTarget(name: "IntegrationTests", dependencies: ["VTXWeb"]),
    ],
    swiftLanguageModes: [.v5]
)
