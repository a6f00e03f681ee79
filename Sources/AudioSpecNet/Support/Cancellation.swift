import Synchronization

/// A request to stop long work at its next safe point (a training step boundary, a clip of the spectrogram
/// pass). Whoever starts the work owns one and hands it down — the CLI sets it from Ctrl-C/SIGTERM, a test or
/// an embedding program from wherever it likes — so no process-wide flag is read inside the library.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
    public func cancel() { flag.store(true, ordering: .relaxed) }
}
