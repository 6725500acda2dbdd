import UnixSignals

/// Process signals for foreground commands.
public enum Signals {
    /// Returns when SIGTERM or SIGINT arrives.
    public static func waitForTermination() async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        for await _ in signals { return }
    }
}
