import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Runs an `InferenceService` as an HTTP server: bound to the configured address (127.0.0.1 unless told
/// otherwise), with graceful shutdown — on a signal or `stop()`, the listener closes (new connections are
/// refused), requests in flight finish, then the network thread ends.
public final class ServiceServer: Sendable {
    public let service: InferenceService
    private let group: ServiceGroup
    private let listening: AsyncStream<Int>
    private let task: Task<Void, any Error>

    /// Starts serving; `signals` (SIGTERM and SIGINT for the CLI, none in tests) trigger the graceful shutdown.
    public init(service: InferenceService, signals: [UnixSignal] = [], logLevel: Logger.Level = .notice) {
        self.service = service
        var logger = Logger(label: "audiospecnet.serve")
        logger.logLevel = logLevel
        let (listening, announce) = AsyncStream.makeStream(of: Int.self)
        self.listening = listening
        let config = service.configuration
        let app = Application(router: service.makeRouter(),
                              configuration: .init(address: .hostname(config.host, port: config.port), serverName: "audiospecnet"),
                              onServerRunning: { channel in
                                  announce.yield(channel.localAddress?.port ?? config.port)
                                  announce.finish()
                              },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
        self.group = group
        task = Task {
            defer { announce.finish() }
            try await group.run()
        }
    }

    /// The port the server listens on, once it does; nil when it could not start (then `wait()` throws why).
    public func port() async -> Int? {
        for await port in listening { return port }
        return nil
    }

    /// Begins the graceful shutdown.
    public func stop() async { await group.triggerGracefulShutdown() }

    /// Returns when the server has stopped (after a signal or `stop()`), and the network thread with it.
    public func wait() async throws {
        defer { service.shutdown() }
        try await task.value
    }
}
