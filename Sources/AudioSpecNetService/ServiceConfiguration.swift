import AudioSpecNet
import Foundation

/// The settings of `audiospecnet serve`, each bounded where it is made (the CLI parses into this and calls
/// `validate()`), so a running server never meets an absurd limit.
public struct ServiceConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 asks the system for a free port (tests); the bound port is reported once the server runs.
    public var port = 8000
    /// Largest request body in bytes; larger bodies get 413 without being read into memory.
    public var maxBodyBytes = 20 * 1024 * 1024
    /// Longest audio a request may hold, in seconds; longer audio gets 413.
    public var maxSeconds = 60.0
    /// How long the first request of a batch waits for others to join it.
    public var batchWindow: Duration = .milliseconds(10)
    /// Most windows in one forward pass.
    public var maxBatch = 16
    /// Requests waiting for the front end, and for the network, at once; past this, 503 (back-pressure
    /// rather than unbounded memory).
    public var maxQueuedRequests = 256
    /// Requests whose audio is decoded and transformed at once (`FrontEndWorkers`): the CPU's cores.
    public var frontEndThreads = ProcessInfo.processInfo.activeProcessorCount
    /// Origins whose pages may call the service (CORS); none by default.
    public var corsOrigins: [String] = []

    public init() {}

    public static let maxBodyLimit = 1 << 30
    public static let maxSecondsLimit = 3600.0

    public func validate() throws {
        func bad(_ s: String) -> AudioSpecNetError { .invalidArgument(s) }
        guard (0...65_535).contains(port) else { throw bad("port must be 0…65535, got \(port)") }
        guard (1...Self.maxBodyLimit).contains(maxBodyBytes) else { throw bad("the body limit must be 1 byte…1 GiB, got \(maxBodyBytes)") }
        guard maxSeconds.isFinite, maxSeconds > 0, maxSeconds <= Self.maxSecondsLimit else {
            throw bad("the audio length limit must be in (0, 3600] seconds, got \(maxSeconds)")
        }
        guard batchWindow >= .zero, batchWindow <= .seconds(1) else { throw bad("the batch window must be 0…1000 ms, got \(batchWindow)") }
        guard (1...256).contains(maxBatch) else { throw bad("the batch size must be 1…256, got \(maxBatch)") }
        guard (1...100_000).contains(maxQueuedRequests) else { throw bad("the queue limit must be 1…100000, got \(maxQueuedRequests)") }
        guard (1...1_024).contains(frontEndThreads) else { throw bad("the front-end threads must be 1…1024, got \(frontEndThreads)") }
        for origin in corsOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) || origin.hasSuffix("/") {
            throw bad("a CORS origin is scheme://host[:port] without a trailing slash, got \(origin)")
        }
    }

    /// Parses a size such as `20MB`, `512KB`, `1GB` or a plain byte count (units are powers of 1024).
    public static func parseBytes(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("GB", 1 << 30), ("MB", 1 << 20),
                                      ("KB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0,
                  v * Double(scale) <= Double(Int.max / 2) else { return nil }
            return Int(v * Double(scale))
        }
        return Int(t)
    }

    /// Parses a duration such as `10ms`, `0.5s` or a plain number of milliseconds.
    public static func parseDuration(_ text: String) -> Duration? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        func number(_ s: Substring) -> Double? { Double(s).flatMap { $0.isFinite && $0 >= 0 && $0 < 1e9 ? $0 : nil } }
        if t.hasSuffix("ms"), let v = number(t.dropLast(2)) { return .microseconds(Int64((v * 1000).rounded())) }
        if t.hasSuffix("s"), let v = number(t.dropLast(1)) { return .microseconds(Int64((v * 1_000_000).rounded())) }
        if let v = number(Substring(t)) { return .microseconds(Int64((v * 1000).rounded())) }
        return nil
    }
}
