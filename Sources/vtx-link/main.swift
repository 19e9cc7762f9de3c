// vtx-link: reads the config, checks it or runs the gateway until SIGINT/SIGTERM.
import VTXConfig
import VTXWeb
import VTXEngine
import VTXSystem

let usage = """
usage: vtx-link [--config FILE] [--check] [--version] [--help]

  --config FILE   configuration file (default ./vtx-link.yaml)
  --check         validate the configuration, print a summary, exit 0 (valid) or 1
  --version       print the version and exit
  --help          print this help and exit

Routes: /  (dashboard), /hls/<stream>/index.m3u8, /api/v1/…, /metrics, /healthz
"""

func fail(_ message: String, code: Int32 = 2) -> Never {
    Log.emitRaw("vtx-link: " + message + "\n")
    exit(code)
}

// The parent-death step between uv_spawn and FFmpeg (see ParentDeath).
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == ParentDeath.flag {
    ParentDeath.execChild(CommandLine.arguments.dropFirst(2))
}

var configPath = "vtx-link.yaml"
var checkOnly = false
var arguments = CommandLine.arguments.dropFirst()
while let arg = arguments.popFirst() {
    switch arg {
    case "--config", "-c":
        guard let value = arguments.popFirst() else { fail("--config needs a file\n" + usage) }
        configPath = value
    case _ where arg.hasPrefix("--config="):
        configPath = String(arg.dropFirst("--config=".count))
    case "--check": checkOnly = true
    case "--version", "-V":
        print("vtx-link \(BuildInfo.version)")
        exit(0)
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        fail("unknown argument \(arg)\n" + usage)
    }
}

let config: GatewayConfig
switch ConfigLoader.load(path: configPath) {
case .success(let loaded): config = loaded
case .failure(let error):
    Log.emitRaw(error.description + "\n")
    exit(1)
}

if checkOnly {
    print(config.summary())
    for warning in Preflight.warnings(config) { print("warning: " + warning) }
    print("\(configPath): OK")
    exit(0)
}

Log.threshold = LogSeverity(config.server.logLevel)
let gateway = Gateway(config: config)
exit(gateway.run())
