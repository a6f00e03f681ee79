import CSndfile
import Foundation

/// An open libsndfile reader that checks everything a user can get wrong before libsndfile sees it, and
/// hands out blocks already mixed to mono and checked for NaN/Inf. Internal: `AudioDecoder` and
/// `AudioStream` are the public doors.
final class SoundFile {
    /// Sample rates a file may have. Below 1 kHz a header is lying or the audio is useless, and resampling
    /// 1 Hz to 22 050 Hz would make 22 050 samples of every one (a header saying 1 Hz once took `infer` to
    /// gigabytes); above 768 kHz no recorder writes.
    static let sampleRates = 1_000...768_000
    /// The largest sample magnitude accepted: 120 dB above full scale (float files may exceed ±1 a little),
    /// far below where a 65 536-point power spectrum would overflow Float.
    static let maxMagnitude: Float = 1e6
    /// Interleaved samples read per libsndfile call at most, whatever the channel count (4 MB).
    static let maxInterleaved = 1 << 20

    let path: String
    let sampleRate: Int
    let channels: Int
    /// Frames as the header claims them: never used to size a buffer.
    let frames: Int
    let formatName: String
    private var handle: OpaquePointer?
    private var interleaved: [Float] = []
    private var framesRead = 0
    /// The bytes behind a file opened from memory: libsndfile reads them through `user_data` while open.
    private let memory: MemoryBytes?

    convenience init(path: String) throws {
        // O_NONBLOCK so that a FIFO cannot hang the open; fstat then rejects anything not a regular file.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw AudioSpecNetError.file(path: path, reason: code == ENOENT ? "no such file" : "cannot open (\(String(cString: strerror(code))))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = errnoText()
            close(fd)
            throw AudioSpecNetError.file(path: path, reason: "cannot stat (\(reason))")
        }
        let kind = st.st_mode & S_IFMT
        if kind != S_IFREG {
            close(fd)
            throw AudioSpecNetError.file(path: path, reason: kind == S_IFDIR ? "is a directory, not an audio file" : "is not a regular file (device, FIFO or socket)")
        }
        if st.st_size == 0 {
            close(fd)
            throw AudioSpecNetError.file(path: path, reason: "is empty (0 bytes)")
        }
        var info = SF_INFO()
        // close_desc = 1: libsndfile owns the descriptor from here on, also on failure.
        let h = sf_open_fd(fd, Int32(SFM_READ), &info, 1)
        try self.init(handle: h, info: info, path: path, memory: nil)
    }

    /// Opens audio held in memory (an upload, a fuzzer's input) through libsndfile's virtual I/O; `name`
    /// stands for the path in errors.
    convenience init(bytes: [UInt8], name: String) throws {
        guard !bytes.isEmpty else { throw AudioSpecNetError.file(path: name, reason: "is empty (0 bytes)") }
        let memory = MemoryBytes(bytes)
        var io = MemoryBytes.virtualIO
        var info = SF_INFO()
        let h = sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(memory).toOpaque())
        try self.init(handle: h, info: info, path: name, memory: memory)
    }

    private init(handle h: OpaquePointer?, info: SF_INFO, path: String, memory: MemoryBytes?) throws {
        self.path = path
        self.memory = memory
        guard let h else {
            let message = SoundFile.oneLine(String(cString: sf_strerror(nil)))
            throw AudioSpecNetError.file(path: path, reason: "not a readable audio file (libsndfile: \(message))")
        }
        handle = h
        guard info.channels > 0 else {
            sf_close(h)
            handle = nil
            throw AudioSpecNetError.file(path: path, reason: "has \(info.channels) channels")
        }
        guard SoundFile.sampleRates.contains(Int(info.samplerate)) else {
            sf_close(h)
            handle = nil
            throw AudioSpecNetError.file(path: path, reason: "has a sample rate of \(info.samplerate) Hz; AudioSpecNet reads \(SoundFile.sampleRates.lowerBound)…\(SoundFile.sampleRates.upperBound) Hz")
        }
        guard info.frames > 0 else {
            sf_close(h)
            handle = nil
            throw AudioSpecNetError.file(path: path, reason: "contains no audio (0 frames)")
        }
        sampleRate = Int(info.samplerate)
        channels = Int(info.channels)
        frames = info.frames == Int64.max ? Int.max : Int(info.frames)  // libsndfile says Int64.max when unknown
        formatName = SoundFile.describe(format: info.format)
    }

    deinit { if let h = handle { sf_close(h) } }

    /// The most frames one `readMono` call reads when asked for `maxFrames`: bounded whatever the caller
    /// and the header ask (libsndfile allows 1 024 channels).
    func framesPerRead(_ maxFrames: Int) -> Int { max(1, min(maxFrames, SoundFile.maxInterleaved / channels)) }

    /// Reads up to `maxFrames` frames, appends their mono mix to `output`, and returns how many it read
    /// (0 at the end). Throws when a sample is NaN or infinite, naming the frame.
    func readMono(maxFrames: Int, into output: inout [Float]) throws -> Int {
        guard handle != nil, maxFrames > 0 else { return 0 }
        let room = framesPerRead(maxFrames)
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: room))
        do {
            let n = try output.withUnsafeMutableBufferPointer { try readMono(maxFrames: room, to: $0.baseAddress! + start) }
            output.removeLast(room - n)
            return n
        } catch {
            output.removeLast(room)
            throw error
        }
    }

    /// Reads up to `maxFrames` frames and appends their mono mix to `buffer`; returns how many (0 at the end).
    func readMono(maxFrames: Int, into buffer: SampleBuffer) throws -> Int {
        guard handle != nil, maxFrames > 0 else { return 0 }
        let room = framesPerRead(maxFrames)
        let n = try readMono(maxFrames: room, to: buffer.reserveTail(room))
        buffer.count += n
        return n
    }

    /// Reads up to `maxFrames` frames (at most `framesPerRead(maxFrames)`) and writes their mono mix to
    /// `destination`. Mono files are read straight into it; others through an interleaved block.
    private func readMono(maxFrames: Int, to destination: UnsafeMutablePointer<Float>) throws -> Int {
        guard let h = handle, maxFrames > 0 else { return 0 }
        let ch = channels
        let maxFrames = framesPerRead(maxFrames)
        let got: Int64
        if ch == 1 {
            got = sf_readf_float(h, destination, Int64(maxFrames))
        } else {
            if interleaved.count < maxFrames * ch { interleaved = [Float](repeating: 0, count: maxFrames * ch) }
            got = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(h, $0.baseAddress!, Int64(maxFrames)) }
        }
        if got <= 0 {
            let code = sf_error(h)
            if code != 0 {
                throw AudioSpecNetError.file(path: path, reason: "decoding failed after \(framesRead) frames (libsndfile: \(SoundFile.oneLine(String(cString: sf_strerror(h)))))")
            }
            return 0
        }
        let n = Int(got)
        let q = destination
        if ch > 1 {
            // Summed left to right, then divided: the order the Python fixtures use, so the mix is exact.
            let scale = Float(ch)
            interleaved.withUnsafeBufferPointer { src in
                let p = src.baseAddress!
                if ch == 2 {
                    for i in 0..<n { q[i] = (p[2 * i] + p[2 * i + 1]) / scale }
                } else {
                    for i in 0..<n {
                        var s = p[i * ch]
                        for c in 1..<ch { s += p[i * ch + c] }
                        q[i] = s / scale
                    }
                }
            }
        }
        // One test catches NaN, ±Inf and absurd magnitudes (3.4e38 passes isFinite but overflows the power
        // spectrum into an all-NaN log-mel): NaN fails every comparison. Branch-free so that it vectorises;
        // the first offender is looked for only when there is one.
        let limit = SoundFile.maxMagnitude
        var offenders = 0
        for i in 0..<n { offenders &+= abs(q[i]) <= limit ? 0 : 1 }  // a count, not a Bool: this vectorises
        if offenders != 0 {
            let bad = (0..<n).first { !(abs(q[$0]) <= limit) } ?? 0
            let frame = ch == 1 ? [q[bad]] : Array(interleaved[(bad * ch)..<(bad * ch + ch)])
            let reason = frame.allSatisfy(\.isFinite)
                ? "contains a sample beyond ±\(SoundFile.maxMagnitude) (\(frame[0]) at frame \(framesRead + bad)): not audio"
                : "contains NaN or infinite samples (first at frame \(framesRead + bad))"
            throw AudioSpecNetError.file(path: path, reason: reason)
        }
        framesRead += n
        return n
    }

    /// libsndfile messages may span lines; the CLI promises one.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    private static func describe(format: Int32) -> String {
        var info = SF_FORMAT_INFO()
        info.format = format & Int32(SF_FORMAT_TYPEMASK)
        if sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0, let name = info.name {
            return String(cString: name)
        }
        return String(format: "format 0x%08x", format)
    }
}
