/// An operator's command to one stream (`POST /api/v1/streams/<name>/<action>`).
public enum OperatorCommand: String, CaseIterable, Sendable {
    case start, stop, restart
}

/// What an operator command came to: the machine's answer, or the guard's refusal
/// of the start the command asked for (the stream is idle again).
public enum OperatorReply: Equatable {
    case result(StreamCommandResult)
    case refused(SpawnRefusal)
}

extension StreamRuntime {
    public func run(_ command: OperatorCommand) -> OperatorReply {
        let result: StreamCommandResult
        switch command {
        case .start: result = start()
        case .stop: result = stop()
        case .restart: result = restart()
        }
        // A start or restart from idle spawns at once: idle right after it means the
        // guards refused it.
        if command != .stop, phase == .idle, let refusal { return .refused(refusal) }
        return .result(result)
    }
}
