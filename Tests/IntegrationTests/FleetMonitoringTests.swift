// The fleet view (tools/grafana/vtx-link.json) and the alerting rules
// (tools/prometheus/vtx-link-rules.yml) against the real thing: the dashboard is JSON
// Grafana imports, its queries are PromQL promtool accepts, the rules pass promtool's
// check and their unit tests, and every metric (and every label value they match
// literally) is one a real gateway's /metrics exports.
import Foundation
import XCTest

final class FleetMonitoringTests: XCTestCase {
    static let dashboardPath = Harness.packageRoot + "/tools/grafana/vtx-link.json"
    static let rulesDirectory = Harness.packageRoot + "/tools/prometheus"

    /// Made by Prometheus for every scrape target, never by the target.
    static let prometheusOwn: Set<String> = ["up"]
    /// Labels Prometheus adds to every series it scrapes.
    static let targetLabels: Set<String> = ["job", "instance"]

    // MARK: - The dashboard

    func testDashboardIsImportableJSONWithOneDatasourceAndAnInstanceSelector() throws {
        let dash = try Self.dashboard()
        XCTAssertGreaterThanOrEqual(dash["schemaVersion"] as? Int ?? 0, 36)
        XCTAssertEqual(dash["uid"] as? String, "vtx-link-fleet")
        let variables = (dash["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let byName = Dictionary(uniqueKeysWithValues: variables.map { ($0["name"] as? String ?? "", $0) })
        XCTAssertEqual(byName["datasource"]?["type"] as? String, "datasource")
        XCTAssertEqual(byName["datasource"]?["query"] as? String, "prometheus")
        XCTAssertEqual(byName["instance"]?["type"] as? String, "query")
        XCTAssertEqual(byName["instance"]?["multi"] as? Bool, true, "per-instance selector")
        XCTAssertNotNil(byName["stream"])

        let panels = Self.panels(dash)
        XCTAssertEqual(Set(panels.compactMap { $0["id"] as? Int }).count, panels.count, "panel ids are unique")
        var cells = Set<[Int]>()
        for p in panels {
            let title = p["title"] as? String ?? "?"
            let grid = try XCTUnwrap(p["gridPos"] as? [String: Int], title)
            let (x, y, w, h) = (grid["x"] ?? -1, grid["y"] ?? -1, grid["w"] ?? 0, grid["h"] ?? 0)
            XCTAssertTrue(x >= 0 && w > 0 && h > 0 && x + w <= 24, "\(title): gridPos \(grid)")
            for cx in x..<(x + w) { for cy in y..<(y + h) { XCTAssertTrue(cells.insert([cx, cy]).inserted, "\(title) overlaps another panel") } }
            guard p["type"] as? String != "row" else { continue }
            XCTAssertEqual((p["datasource"] as? [String: Any])?["uid"] as? String, "${datasource}", title)
            let targets = p["targets"] as? [[String: Any]] ?? []
            XCTAssertFalse(targets.isEmpty, "\(title) has no query")
            for t in targets { XCTAssertFalse((t["expr"] as? String ?? "").isEmpty, "\(title): empty expr") }
        }
        // What an operator of a fleet looks at, each in some panel.
        let used = Set(try Self.dashboardQueries().flatMap { Self.metricNames(in: $0) })
        for name in ["vtx_stream_state", "vtx_stream_restarts_total", "vtx_stream_failures_total", "vtx_system_memory_available_bytes",
                     "vtx_spawn_rejections_total", "vtx_stream_segment_bytes_total", "vtx_stream_frames_total", "vtx_stream_viewers",
                     "vtx_stream_served_bytes_total", "process_resident_memory_bytes"] {
            XCTAssertTrue(used.contains(name), "no panel shows \(name)")
        }
    }

    /// promtool parses every panel query (Grafana's variables replaced by values).
    func testDashboardQueriesAreValidPromQL() throws {
        let exprs = try Self.dashboardQueries(variables: false)
        XCTAssertGreaterThan(exprs.count, 15)
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (i, e) in exprs.enumerated() {
            var concrete = e.replacingOccurrences(of: "$__rate_interval", with: "5m")
            concrete = concrete.replacingOccurrences(of: #"\$\{?[A-Za-z_]+\}?"#, with: "x", options: .regularExpression)
            let quoted = String(decoding: try JSONSerialization.data(withJSONObject: [concrete], options: [.withoutEscapingSlashes]), as: UTF8.self).dropFirst().dropLast()
            yaml += "      - record: vtx_dashboard_panel_\(i)\n        expr: \(quoted)\n"
        }
        let file = NSTemporaryDirectory() + "vtx-dashboard-\(getpid()).rules.yml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let check = Harness.run(["promtool", "check", "rules", file], timeout: 30)
        XCTAssertEqual(check.status, 0, "promtool: \(check.stdout)\(check.stderr)")
        XCTAssertTrue(check.stdout.contains("SUCCESS: \(exprs.count) rules found"), check.stdout)
    }

    // MARK: - The alerting rules

    func testRulesPassPromtoolCheckAndTheirUnitTests() throws {
        let check = Harness.run(["promtool", "check", "rules", Self.rulesDirectory + "/vtx-link-rules.yml"], timeout: 30)
        XCTAssertEqual(check.status, 0, "promtool check rules: \(check.stdout)\(check.stderr)")
        XCTAssertTrue(check.stdout.contains("SUCCESS: 5 rules found"), check.stdout)
        let test = Harness.run(["promtool", "test", "rules", Self.rulesDirectory + "/vtx-link-rules.test.yml"], timeout: 60)
        XCTAssertEqual(test.status, 0, "promtool test rules: \(test.stdout)\(test.stderr)")
        XCTAssertTrue(test.stdout.contains("SUCCESS"), test.stdout)
        // Every alert is tested firing at least once and quiet at least once.
        let tests = try String(contentsOfFile: Self.rulesDirectory + "/vtx-link-rules.test.yml", encoding: .utf8)
        let rules = try String(contentsOfFile: Self.rulesDirectory + "/vtx-link-rules.yml", encoding: .utf8)
        let alerts = rules.matches(of: try Regex(#"- alert: (\w+)"#)).compactMap { $0.output[1].substring.map(String.init) }
        XCTAssertEqual(alerts.count, 5)
        let blocks = tests.components(separatedBy: "alertname: ").dropFirst()
        for alert in alerts {
            let mine = blocks.filter { $0.hasPrefix(alert + "\n") }
            XCTAssertTrue(mine.contains { $0.contains("exp_alerts: []") }, "\(alert): no not-firing case")
            XCTAssertTrue(mine.contains { $0.contains("exp_labels:") }, "\(alert): no firing case")
        }
    }

    // MARK: - Against a real gateway's /metrics

    func testEveryMetricAndLabelValueUsedIsExportedByARealGateway() throws {
        let exported = try Self.scrapeRealGateway()
        let sources: [(String, [String])] = [("dashboard", try Self.dashboardQueries()), ("rules", try Self.ruleExpressions())]
        for (source, exprs) in sources {
            XCTAssertFalse(exprs.isEmpty, source)
            for expr in exprs {
                let names = Self.metricNames(in: expr)
                XCTAssertFalse(names.isEmpty, "\(source): no metric found in \(expr)")
                for name in names where exported[name] == nil {
                    XCTAssertTrue(Self.prometheusOwn.contains(name), "\(source): \(name) is not in a real gateway's /metrics (\(expr))")
                }
                for m in Self.literalMatchers(in: expr) where exported[m.metric] != nil && !Self.targetLabels.contains(m.label) {
                    let values = Set(exported[m.metric]!.compactMap { $0[m.label] })
                    XCTAssertTrue(values.contains(m.value), "\(source): \(m.metric){\(m.label)=\"\(m.value)\"} matches no exported series (values: \(values.sorted()))")
                }
            }
        }
    }

    func testMetricNameExtraction() {
        XCTAssertEqual(Self.metricNames(in: #"sum by (stream, reason) (rate(vtx_a_total{reason="x y", stream=~"$stream"}[$__rate_interval])) / on (instance) group_left vtx_b offset 1h > 1e3"#),
                       ["vtx_a_total", "vtx_b"])
        XCTAssertEqual(Self.metricNames(in: "increase(vtx_c[2m]) == 0\n  and on (job, instance, stream)\nup == 1 or vector(0)"), ["vtx_c", "up"])
        XCTAssertEqual(Self.metricNames(in: #"label_values(vtx_build_info{job="$job"}, instance)"#), ["vtx_build_info"])
        let m = Self.literalMatchers(in: #"vtx_s{job="vtx-link", state="failed", stream=~"$s", reason!="rejected_shutting_down"}"#)
        XCTAssertEqual(m.map { "\($0.metric) \($0.label) \($0.value)" }, ["vtx_s job vtx-link", "vtx_s state failed", "vtx_s reason rejected_shutting_down"])
    }

    // MARK: - Helpers

    static func dashboard() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dashboardPath))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every panel, rows' nested panels included.
    static func panels(_ dash: [String: Any]) -> [[String: Any]] {
        let top = dash["panels"] as? [[String: Any]] ?? []
        return top + top.flatMap { $0["panels"] as? [[String: Any]] ?? [] }
    }

    /// Every panel's PromQL, plus (with `variables`) the template variables' queries.
    static func dashboardQueries(variables: Bool = true) throws -> [String] {
        let dash = try dashboard()
        var exprs = panels(dash).flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        guard variables else { return exprs }
        for v in (dash["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] where v["type"] as? String == "query" {
            if let q = v["query"] as? String { exprs.append(q) }
            if let q = (v["query"] as? [String: Any])?["query"] as? String { exprs.append(q) }
        }
        return exprs
    }

    /// The `expr:` of every rule: one line, or a `|` block of deeper-indented lines.
    static func ruleExpressions() throws -> [String] {
        let lines = try String(contentsOfFile: rulesDirectory + "/vtx-link-rules.yml", encoding: .utf8).components(separatedBy: "\n")
        var exprs: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            i += 1
            guard let r = line.range(of: "expr: ") else { continue }
            let value = line[r.upperBound...].trimmingCharacters(in: .whitespaces)
            guard value == "|" else { exprs.append(value); continue }
            let indent = line.prefix { $0 == " " }.count
            var block: [String] = []
            while i < lines.count, lines[i].prefix(while: { $0 == " " }).count > indent || lines[i].trimmingCharacters(in: .whitespaces).isEmpty {
                if !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { block.append(lines[i]) }
                i += 1
            }
            exprs.append(block.joined(separator: "\n"))
        }
        XCTAssertEqual(exprs.count, 5, "one expr per alert")
        return exprs
    }

    /// PromQL words that are not metric names where they stand: binary operators and
    /// modifiers, and aggregations (which may have `by (…)` between them and their `(`).
    static let keywords: Set<String> = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
                                        "group_left", "group_right", "inf", "nan", "atan2",
                                        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                                        "bottomk", "topk", "quantile"]

    /// The metric names of a PromQL expression (or of Grafana's `label_values(metric…, label)`):
    /// identifiers that are not functions, keywords, label names or parts of literals.
    static func metricNames(in expr: String) -> [String] {
        if let r = expr.range(of: #"^\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)"#, options: .regularExpression) {
            return [String(expr[r].drop { $0 != "(" }.dropFirst()).trimmingCharacters(in: .whitespaces)]
        }
        var s = expr
        for (pattern, with) in [(#""(?:[^"\\]|\\.)*""#, "\"\""),                                  // string literals
                                (#"\{[^}]*\}"#, "{}"),                                              // label matchers
                                (#"\[[^\]]*\]"#, ""),                                               // ranges
                                (#"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#, "$1")] {  // label lists
            s = s.replacingOccurrences(of: pattern, with: with, options: .regularExpression)
        }
        let regex = try! NSRegularExpression(pattern: #"(?<![0-9A-Za-z_:.])[A-Za-z_:][A-Za-z0-9_:]*(?!\s*\()"#)
        var names: [String] = []
        for match in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
            let range = Range(match.range, in: s)!
            let token = String(s[range])
            // The lookahead makes the regex back off a function's name to a prefix
            // ("rat" of "rate("): a token that does not end where the identifier ends is one.
            if s[range.upperBound...].first.map({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) == true { continue }
            if s[range.upperBound...].drop(while: { $0 == " " }).first == "(" { continue }
            if keywords.contains(token.lowercased()) || names.contains(token) { continue }
            names.append(token)
        }
        return names
    }

    struct Matcher { var metric: String; var label: String; var value: String }

    /// `metric{label="value"}` and `label!="value"` matchers with a literal value (not a regex, no variable).
    static func literalMatchers(in expr: String) -> [Matcher] {
        let selector = try! NSRegularExpression(pattern: #"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}"#)
        let matcher = try! NSRegularExpression(pattern: #"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)""#)
        var out: [Matcher] = []
        for sel in selector.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
            let metric = String(expr[Range(sel.range(at: 1), in: expr)!])
            let body = String(expr[Range(sel.range(at: 2), in: expr)!])
            for m in matcher.matches(in: body, range: NSRange(body.startIndex..., in: body)) {
                let op = body[Range(m.range(at: 2), in: body)!]
                let value = String(body[Range(m.range(at: 3), in: body)!])
                guard op == "=" || op == "!=", !value.contains("$") else { continue }
                out.append(Matcher(metric: metric, label: String(body[Range(m.range(at: 1), in: body)!]), value: value))
            }
        }
        return out
    }

    /// A real gateway on a demo-like config (a synthetic camera, started and served a
    /// segment): metric name → the label sets of its samples (a family with no sample
    /// yet, from its `# TYPE` line, has none).
    static func scrapeRealGateway() throws -> [String: [[String: String]]] {
        let gw = try GatewayProcess(name: "fleet") { port, root in
            WebT.config(port: port, root: root, streams: [Synthetic.stream("demo", idle: 120), Synthetic.stream("other", idle: 120)])
        }
        defer { gw.stop() }
        WebT.startByPlaylist(gw, "demo")
        XCTAssertNotNil(WebT.newestSegment(gw, "demo"))
        XCTAssertEqual(gw.curl("/metrics").status, 200)
        let r = gw.curl("/metrics")
        XCTAssertEqual(r.status, 200)
        var exported: [String: [[String: String]]] = [:]
        for line in r.text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            exported[String(line.split(separator: " ")[2]), default: []] += []
        }
        for sample in MetricsTests.parse(r.text).samples { exported[sample.name, default: []].append(sample.labels) }
        XCTAssertGreaterThan(exported.count, 15, r.text)
        return exported
    }
}
