import AudioSpecNet
import Foundation

/// The one place the network runs in the service: requests hand their windows (log-mels) to a queue, and a
/// dedicated thread gathers the requests that arrive within the batch window (up to `maxBatch` windows)
/// into one forward pass. The network and its activations belong to that thread alone, so concurrent
/// requests never share a forward pass's buffers, while the front end of each request runs on the
/// request's own task, concurrently with the network.
public final class InferenceBatcher: @unchecked Sendable {
    /// What a request gets back: a probability row per window, and the channel-mean feature maps of its
    /// first window when it asked for them.
    public struct Output: Sendable {
        public var probabilities: [[Float]]
        public var maps: [FeatureCapture.Map]
    }

    private struct Job {
        let spectrograms: [[Float]]
        let captureFeatures: Bool
        let arrival: ContinuousClock.Instant
        let continuation: CheckedContinuation<Output, any Error>
    }

    /// The models and test-time views each window's softmax is averaged over (one model, one view: its own).
    public let models: AveragedClassifier
    public var classifier: Classifier { models.first }
    public let frames: Int
    public let maxBatch: Int
    public let batchWindow: Duration
    public let maxQueued: Int
    /// Called on the network thread after each forward pass with its windows and duration (metrics).
    private let onBatch: @Sendable (Int, Duration) -> Void

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var queuedWindows = 0
    private var stopping = false
    private var finished = false

    /// `frames`: the width of every log-mel the network will see (the model's window).
    public init(models: AveragedClassifier, frames: Int, maxBatch: Int, batchWindow: Duration, maxQueued: Int,
                onBatch: @escaping @Sendable (Int, Duration) -> Void = { _, _ in }) {
        self.models = models
        self.frames = frames
        self.maxBatch = max(1, maxBatch)
        self.batchWindow = batchWindow
        self.maxQueued = max(1, maxQueued)
        self.onBatch = onBatch
        let thread = Thread { [self] in loop() }
        thread.name = "audiospecnet-network"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Classifies one request's windows; waits for a batch to run them. Throws `ServiceError.overloaded`
    /// when too many requests already wait, `.unavailable` once the service is stopping.
    public func classify(_ spectrograms: [[Float]], captureFeatures: Bool) async throws -> Output {
        precondition(!spectrograms.isEmpty)
        let arrival = ContinuousClock.now
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if stopping { continuation.resume(throwing: ServiceError.unavailable("the service is shutting down")); return }
            if queue.count >= maxQueued {
                continuation.resume(throwing: ServiceError.overloaded("\(queue.count) requests are already waiting for the network"))
                return
            }
            queue.append(Job(spectrograms: spectrograms, captureFeatures: captureFeatures, arrival: arrival, continuation: continuation))
            queuedWindows += spectrograms.count
            condition.broadcast()
        }
    }

    /// Lets the queued requests finish, then ends the network thread; returns once it has ended.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    // MARK: - The network thread

    private func loop() {
        while let jobs = nextBatch() { run(jobs) }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for a first request, then up to the batch window (from that request's arrival) for others,
    /// and takes whole requests up to `maxBatch` windows (a longer request alone is run in pieces).
    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        if queue.isEmpty { return nil }
        let deadline = queue[0].arrival + batchWindow
        while queuedWindows < maxBatch && !stopping {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { break }
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        var taken: [Job] = []
        var windows = 0
        while let job = queue.first, taken.isEmpty || windows + job.spectrograms.count <= maxBatch {
            taken.append(job)
            windows += job.spectrograms.count
            queue.removeFirst()
        }
        queuedWindows -= windows
        return taken
    }

    private func run(_ jobs: [Job]) {
        // Rows of the batch: every window of every job, in order; `firstRow[j]` is where job j starts.
        var rows: [[Float]] = []
        var firstRow: [Int] = []
        for job in jobs {
            firstRow.append(rows.count)
            rows += job.spectrograms
        }
        var probabilities: [[Float]] = []
        probabilities.reserveCapacity(rows.count)
        var maps = [[FeatureCapture.Map]](repeating: [], count: jobs.count)
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + maxBatch)
            // The jobs whose first window is in this pass and that want its feature maps, by row in the pass.
            let capture = jobs.indices.filter { jobs[$0].captureFeatures && (start..<end).contains(firstRow[$0]) }
            let observe: ((String, Tensor) -> Void)? = capture.isEmpty ? nil : { name, tensor in
                for j in capture {
                    maps[j].append(FeatureMapStatistics.channelMean(tensor, item: firstRow[j] - start, name: name))
                }
            }
            let began = ContinuousClock.now
            probabilities += models.probabilities(Array(rows[start..<end]), frames: frames, observe: observe)
            onBatch(end - start, ContinuousClock.now - began)
            start = end
        }
        for (j, job) in jobs.enumerated() {
            let lo = firstRow[j]
            job.continuation.resume(returning: Output(probabilities: Array(probabilities[lo..<(lo + job.spectrograms.count)]), maps: maps[j]))
        }
    }
}
