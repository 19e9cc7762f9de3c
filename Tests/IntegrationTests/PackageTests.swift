import Foundation
import XCTest

/// tools/package end to end: builds the release binary (1–2 min the first time),
/// then checks what an operator installs — the .deb's control data, conffile and
/// files (extracted with `dpkg-deb -x` into a scratch root, its binary run) and
/// the tar.gz's content list — and the sizes/sha256 it prints.
final class PackageTests: XCTestCase {
    struct Artifact { var path: String; var size: Int; var sha256: String }

    func testPackageBuildsTarballAndDeb() throws {
        for tool in ["dpkg-deb", "dpkg", "file", "tar", "sha256sum"] {
            guard Harness.run(["sh", "-c", "command -v \(tool)"]).status == 0 else { throw XCTSkip("\(tool) is not installed") }
        }
        let root = Harness.packageRoot
        let r = Harness.run([root + "/tools/package"], timeout: 1200)
        XCTAssertEqual(r.status, 0, "tools/package failed:\n" + String(r.stderr.suffix(4000)))
        guard r.status == 0 else { return }

        // "<path>  <size> bytes  sha256 <hex>", one line per package.
        let artifacts: [Artifact] = r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count == 5, f[2] == "bytes", f[3] == "sha256", let size = Int(f[1]) else { return nil }
            return Artifact(path: String(f[0]), size: size, sha256: String(f[4]))
        }
        for a in artifacts { print("package: \(a.path)  \(a.size) bytes  sha256 \(a.sha256)") }
        let arch = Harness.run(["dpkg", "--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let debArtifact = artifacts.first(where: { $0.path.hasSuffix("_\(arch).deb") }),
              let tarArtifact = artifacts.first(where: { $0.path.hasSuffix("-\(arch).tar.gz") }) else {
            return XCTFail("tools/package did not print a .deb and a .tar.gz line for \(arch):\n" + r.stdout)
        }
        for a in [debArtifact, tarArtifact] {
            let path = root + "/" + a.path
            XCTAssertTrue(a.path.hasPrefix(".build-package/"), a.path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
            XCTAssertEqual(size, a.size, "printed size of \(a.path)")
            let sum = Harness.run(["sha256sum", path]).stdout.split(separator: " ").first.map(String.init)
            XCTAssertEqual(sum, a.sha256, "printed sha256 of \(a.path)")
        }
        let sums = Harness.run(["sh", "-c", "cd '\(root)/.build-package' && sha256sum -c SHA256SUMS"])
        XCTAssertEqual(sums.status, 0, "SHA256SUMS: " + sums.stdout + sums.stderr)

        // The version in the file names is the binary's.
        let debName = (debArtifact.path as NSString).lastPathComponent           // vtx-link_<v>_<arch>.deb
        let version = String(debName.dropFirst("vtx-link_".count).dropLast("_\(arch).deb".count))
        XCTAssertEqual((tarArtifact.path as NSString).lastPathComponent, "vtx-link-\(version)-\(arch).tar.gz")

        let scratch = NSTemporaryDirectory() + "vtx-package-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try checkDeb(root + "/" + debArtifact.path, version: version, arch: arch, into: scratch + "/deb")
        try checkTarball(root + "/" + tarArtifact.path, version: version, arch: arch, into: scratch + "/tar",
                         debBinary: scratch + "/deb/usr/bin/vtx-link")
    }

    private func checkDeb(_ deb: String, version: String, arch: String, into dir: String) throws {
        // Control data.
        let fields = Harness.run(["dpkg-deb", "--field", deb])
        XCTAssertEqual(fields.status, 0, fields.stderr)
        var control: [String: String] = [:]
        for line in fields.stdout.split(separator: "\n") where !line.hasPrefix(" ") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            control[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        XCTAssertEqual(control["Package"], "vtx-link")
        XCTAssertEqual(control["Version"], version)
        XCTAssertEqual(control["Architecture"], arch)
        XCTAssertEqual(control["Recommends"], "ffmpeg")
        XCTAssertNil(control["Depends"], "the binary is static: no Depends expected")
        XCTAssertNil(control["Pre-Depends"])
        XCTAssertNotNil(control["Maintainer"])
        XCTAssertNotNil(control["Description"])
        XCTAssertNotNil(control["Installed-Size"].flatMap { Int($0) }, "Installed-Size")

        // Control archive: the conffile.
        let controlDir = dir + "-control"
        XCTAssertEqual(Harness.run(["dpkg-deb", "--control", deb, controlDir]).status, 0)
        let conffiles = (try? String(contentsOfFile: controlDir + "/conffiles", encoding: .utf8)) ?? ""
        XCTAssertEqual(conffiles.split(separator: "\n").map(String.init), ["/etc/vtx-link/vtx-link.yaml"])
        for script in ["postinst", "prerm", "postrm"] where FileManager.default.fileExists(atPath: controlDir + "/" + script) {
            XCTAssertEqual(Harness.run(["sh", "-n", controlDir + "/" + script]).status, 0, "\(script) is not valid sh")
        }

        // Files: owned by root, in the conventional places.
        let listing = Harness.run(["dpkg-deb", "--contents", deb]).stdout
        for line in listing.split(separator: "\n") {
            XCTAssertTrue(line.contains(" root/root "), "not root-owned: \(line)")
        }
        XCTAssertEqual(Harness.run(["dpkg-deb", "-x", deb, dir]).status, 0)
        let fm = FileManager.default
        for path in ["usr/bin/vtx-link", "etc/vtx-link/vtx-link.yaml", "lib/systemd/system/vtx-link.service",
                     "usr/share/doc/vtx-link/copyright", "usr/share/doc/vtx-link/README.md"] {
            XCTAssertTrue(fm.fileExists(atPath: dir + "/" + path), "missing in the .deb: /\(path)")
        }
        let binary = dir + "/usr/bin/vtx-link"
        let mode = ((try? fm.attributesOfItem(atPath: binary)[.posixPermissions]) as? Int) ?? 0
        XCTAssertEqual(mode, 0o755, "mode of /usr/bin/vtx-link")

        // The extracted binary runs, is static, and accepts the installed config.
        let v = Harness.run([binary, "--version"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertEqual(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "vtx-link \(version)")
        let info = Harness.run(["file", "-b", binary]).stdout
        XCTAssertTrue(info.contains("statically linked") || info.contains("static-pie linked"), "not static: \(info)")
        let config = dir + "/etc/vtx-link/vtx-link.yaml"
        let check = Harness.run([binary, "--config", config, "--check"], environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(check.status, 0, "--check of the installed config:\n" + check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("\(config): OK"), check.stdout)
        XCTAssertEqual(fm.contents(atPath: config), fm.contents(atPath: Harness.packageRoot + "/tools/vtx-link.yaml.sample"))

        // The unit is the one in tools/, and systemd accepts it (when systemd-analyze
        // is there), with ExecStart/ExecReload pointed at the extracted binary.
        let unit = dir + "/lib/systemd/system/vtx-link.service"
        XCTAssertEqual(fm.contents(atPath: unit), fm.contents(atPath: Harness.packageRoot + "/tools/vtx-link.service"))
        let unitText = (try? String(contentsOfFile: unit, encoding: .utf8)) ?? ""
        XCTAssertTrue(unitText.contains("ExecStart=/usr/bin/vtx-link --config /etc/vtx-link/vtx-link.yaml"))
        if Harness.run(["sh", "-c", "command -v systemd-analyze"]).status == 0 {
            let copy = dir + "-unit/vtx-link.service"
            try fm.createDirectory(atPath: dir + "-unit", withIntermediateDirectories: true)
            try unitText.replacingOccurrences(of: "/usr/bin/vtx-link", with: binary).write(toFile: copy, atomically: true, encoding: .utf8)
            let verify = Harness.run(["systemd-analyze", "verify", copy])
            XCTAssertEqual(verify.status, 0, "systemd-analyze verify: " + verify.stdout + verify.stderr)
            XCTAssertEqual(verify.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "", "systemd-analyze verify warnings")
        }
    }

    private func checkTarball(_ tarball: String, version: String, arch: String, into dir: String, debBinary: String) throws {
        let top = "vtx-link-\(version)-\(arch)"
        let list = Harness.run(["tar", "-tzf", tarball])
        XCTAssertEqual(list.status, 0, list.stderr)
        let names = Set(list.stdout.split(separator: "\n").map { String($0) })
        let expected: Set<String> = Set([top + "/"] + ["vtx-link", "vtx-link.yaml.sample", "vtx-link.service", "vtx-link.init",
                                                        "nginx-edge-cache.conf", "LICENSE", "README.md"].map { top + "/" + $0 })
        XCTAssertEqual(names, expected, "tar.gz content list")
        let verbose = Harness.run(["tar", "-tvzf", tarball]).stdout
        for line in verbose.split(separator: "\n") { XCTAssertTrue(line.contains(" 0/0 "), "not owned by 0/0: \(line)") }

        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(Harness.run(["tar", "-xzf", tarball, "-C", dir]).status, 0)
        let base = dir + "/" + top
        let fm = FileManager.default
        XCTAssertEqual(fm.contents(atPath: base + "/vtx-link"), fm.contents(atPath: debBinary), "the tar.gz and the .deb carry the same binary")
        XCTAssertTrue(fm.isExecutableFile(atPath: base + "/vtx-link"))
        XCTAssertTrue(fm.isExecutableFile(atPath: base + "/vtx-link.init"))
        let check = Harness.run([base + "/vtx-link", "--config", base + "/vtx-link.yaml.sample", "--check"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(Harness.run(["sh", "-n", base + "/vtx-link.init"]).status, 0, "vtx-link.init is not valid sh")
        for name in ["vtx-link.service", "vtx-link.init", "vtx-link.yaml.sample", "nginx-edge-cache.conf"] {
            XCTAssertEqual(fm.contents(atPath: base + "/" + name), fm.contents(atPath: Harness.packageRoot + "/tools/" + name), name)
        }
        XCTAssertEqual(fm.contents(atPath: base + "/LICENSE"), fm.contents(atPath: Harness.packageRoot + "/LICENSE"))
    }
}
