// swift-tools-version:5.4
//
// libFuzzer targets for VTX Link. A separate package so the main build never
// sees the sanitizer flags; it depends on the main package by path.
//
// The tools version is deliberately 5.4: from 5.5 on, SwiftPM renames an
// executable's entry point to `<Module>_main` and links with
// `--defsym main=<Module>_main`, which fails for a fuzzer (built with
// -parse-as-library, it has no main of its own; libFuzzer provides `main`).
//
// Build and run with ./run (see README.md); by hand:
//   swift build --package-path tools/fuzz -c release \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let vtxHTTP = Target.Dependency.product(name: "VTXHTTP", package: "vtx-link")
let vtxConfig = Target.Dependency.product(name: "VTXConfig", package: "vtx-link")

let package = Package(
    name: "vtx-link-fuzz",
    dependencies: [
        .package(name: "vtx-link", path: "../.."),
    ],
    targets: [
        // Invariant checks (print + abort, so libFuzzer keeps the input) and helpers.
        .target(name: "FuzzSupport"),
        // RequestParser: whole vs byte-by-byte vs random chunking, limits, request invariants.
        .executableTarget(name: "FuzzHTTPParser", dependencies: [vtxHTTP, "FuzzSupport"]),
        // decodeRequestPath + decodeQueryString against a reference decoder.
        .executableTarget(name: "FuzzPath", dependencies: [vtxHTTP, "FuzzSupport"]),
        // ByteRange.parse and HTTPDate.parse (small header-value parsers).
        .executableTarget(name: "FuzzFields", dependencies: [vtxHTTP, "FuzzSupport"]),
        // ConfigLoader.parse(bytes:) with YAML text in: errors well-formed, configs valid.
        .executableTarget(name: "FuzzConfig", dependencies: [vtxConfig, "FuzzSupport"]),
        // CredentialMask.mask / mask(_:secrets:) / credentials(in:).
        .executableTarget(name: "FuzzMask", dependencies: [vtxConfig, "FuzzSupport"]),
    ]
)
