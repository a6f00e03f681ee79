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
        let stream = try StreamingResampler(from: from, to: to)
        var output: [Float] = []
        output.reserveCapacity(Int(Double(input.count) * Double(to) / Double(from)) + 16)
        // Fed in cache-sized blocks: soxr's output does not depend on the block sizes, its speed does.
        var start = 0
        while start < input.count {
            let n = min(blockSize, input.count - start)
            output += try stream.process(UnsafeBufferPointer(rebasing: input[start..<(start + n)]))
            start += n
        }
        output += try stream.flush()
        return output
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
        return try run(input.baseAddress, count: input.count)
    }

    /// Ends the stream and returns the remaining output.
    public func flush() throws -> [Float] {
        guard !flushed else { return [] }
        flushed = true
        return try run(nil, count: 0)
    }

    private func run(_ input: UnsafePointer<Float>?, count: Int) throws -> [Float] {
        let ratio = Double(outputRate) / Double(inputRate)
        var output: [Float] = []
        var chunk = [Float](repeating: 0, count: max(4096, Int(Double(count) * ratio) + 64))
        var consumed = 0
        while true {
            var inDone = 0, outDone = 0
            let error: soxr_error_t? = chunk.withUnsafeMutableBufferPointer { out in
                soxr_process(handle, input.map { UnsafeRawPointer($0 + consumed) }, count - consumed, &inDone,
                             out.baseAddress, out.count, &outDone)
            }
            if let error { throw AudioSpecNetError.invalidArgument("soxr failed: \(String(cString: error))") }
            consumed += inDone
            output.append(contentsOf: chunk[0..<outDone])
            // Done once all input is taken and soxr no longer fills the whole buffer.
            if consumed >= count && outDone < chunk.count { break }
        }
        return output
    }
}
