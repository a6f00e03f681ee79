import CSoxr

/// Sample-rate conversion with soxr at high quality (SOXR_HQ: 20-bit precision, the quality python-soxr
/// calls "HQ"), so the Swift and Python pipelines resample identically.
public enum Resampler {
    /// Input samples per soxr call.
    static let blockSize = 16_384

    /// `input` at `from` Hz resampled to `to` Hz; returned untouched when the rates are equal.
    /// The output has ⌈n · to / from⌉-ish samples, exactly what python-soxr's `resample` returns.
    public static func resample(_ input: [Float], from: Int, to: Int) throws -> [Float] {
        if from == to { return input }
        return try input.withUnsafeBufferPointer { try resample($0, from: from, to: to) }
    }

    /// Buffer variant of `resample(_:from:to:)`.
    public static func resample(_ input: UnsafeBufferPointer<Float>, from: Int, to: Int) throws -> [Float] {
        if from == to { return Array(input) }
        let output = SampleBuffer(capacity: expectedCount(input.count, from: from, to: to))
        try resample(input, from: from, to: to, into: output)
        return Array(output.values)
    }

    /// Resamples `input` into `output` (replacing its contents) without allocating once `output` is
    /// large enough: the front end's per-worker path. Same samples as `resample(_:from:to:)`.
    static func resample(_ input: UnsafeBufferPointer<Float>, from: Int, to: Int, into output: SampleBuffer) throws {
        output.count = 0
        if from == to {
            input.baseAddress.map { output.reserveTail(input.count).update(from: $0, count: input.count) }
            output.count = input.count
            return
        }
        let stream = try StreamingResampler(from: from, to: to)
        _ = output.reserveTail(expectedCount(input.count, from: from, to: to))
        // Fed in cache-sized blocks: soxr's output does not depend on the block sizes, its speed does
        // (one 220 500-sample call takes 1.6× as long as 16 384-sample blocks).
        var start = 0
        while start < input.count {
            let n = min(blockSize, input.count - start)
            try stream.run(input.baseAddress! + start, count: n, into: output)
            start += n
        }
        try stream.finish(into: output)
    }

    /// About how many samples `count` input samples become (what soxr returns, plus room for rounding).
    static func expectedCount(_ count: Int, from: Int, to: Int) -> Int {
        Int(Double(count) * Double(to) / Double(max(1, from))) + 64
    }
}

/// A soxr resampler fed block by block (for `AudioStream`): the concatenated output equals the one-shot
/// output of `Resampler.resample` for the same input, whatever the block sizes.
public final class StreamingResampler {
    public let inputRate: Int
    public let outputRate: Int
    private let handle: OpaquePointer
    private var flushed = false

    public init(from: Int, to: Int) throws {
        guard from > 0, to > 0 else { throw AudioSpecNetError.invalidArgument("resampling from \(from) Hz to \(to) Hz: rates must be positive") }
        inputRate = from
        outputRate = to
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let h = soxr_create(Double(from), Double(to), 1, &error, &io, &quality, nil), error == nil else {
            throw AudioSpecNetError.invalidArgument("soxr cannot resample \(from) Hz to \(to) Hz: \(error.map { String(cString: $0) } ?? "unknown error")")
        }
        handle = h
    }

    deinit { soxr_delete(handle) }

    /// Resamples the next block; returns what soxr can output so far (it holds back its filter delay).
    public func process(_ input: UnsafeBufferPointer<Float>) throws -> [Float] {
        precondition(!flushed, "StreamingResampler.process after flush")
        guard input.count > 0 else { return [] }
        let output = SampleBuffer(capacity: Resampler.expectedCount(input.count, from: inputRate, to: outputRate))
        try run(input.baseAddress, count: input.count, into: output)
        return Array(output.values)
    }

    /// Ends the stream and returns the remaining output.
    public func flush() throws -> [Float] {
        guard !flushed else { return [] }
        let output = SampleBuffer(capacity: 4096)
        try finish(into: output)
        return Array(output.values)
    }

    /// Ends the stream, appending the remaining output to `output`.
    func finish(into output: SampleBuffer) throws {
        guard !flushed else { return }
        flushed = true
        try run(nil, count: 0, into: output)
    }

    /// Feeds `count` samples (none: flush) and appends everything soxr outputs to `output`, growing it
    /// until soxr no longer fills the room it is given.
    func run(_ input: UnsafePointer<Float>?, count: Int, into output: SampleBuffer) throws {
        let room = max(4096, Resampler.expectedCount(count, from: inputRate, to: outputRate))
        var consumed = 0
        while true {
            var inDone = 0, outDone = 0
            let error: soxr_error_t? = soxr_process(handle, input.map { UnsafeRawPointer($0 + consumed) }, count - consumed, &inDone,
                                                    output.reserveTail(room), room, &outDone)
            if let error { throw AudioSpecNetError.invalidArgument("soxr failed: \(String(cString: error))") }
            consumed += inDone
            output.count += outDone
            // Done once all input is taken and soxr no longer fills the whole room.
            if consumed >= count && outDone < room { break }
        }
    }
}
