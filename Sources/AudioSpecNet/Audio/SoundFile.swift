import CSndfile
import Foundation

/// An open libsndfile reader that checks everything a user can get wrong before libsndfile sees it, and
/// hands out blocks already mixed to mono and checked for NaN/Inf. Internal: `AudioDecoder` and
/// `AudioStream` are the public doors.
final class SoundFile {
    let path: String
    let sampleRate: Int
    let channels: Int
    let frames: Int
    let formatName: String
    private var handle: OpaquePointer?
    /// The bytes a memory-backed file reads from; kept alive as long as libsndfile may call back.
    private var memorySource: MemorySource?
    private var interleaved: [Float] = []
    private var framesRead = 0

    init(path: String) throws {
        self.path = path
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
        let opened = try SoundFile.checkOpened(h, info: info, name: path)
        (sampleRate, channels, frames, formatName) = (opened.sampleRate, opened.channels, opened.frames, opened.format)
        handle = opened.handle
    }

    /// Reads an audio file held in memory (an HTTP body, a fuzzer's input) through libsndfile's virtual
    /// I/O: no temporary file. `name` stands for the file in messages.
    init(bytes: Data, name: String) throws {
        self.path = name
        guard !bytes.isEmpty else { throw AudioSpecNetError.file(path: name, reason: "is empty (0 bytes)") }
        let source = MemorySource(bytes)
        memorySource = source
        var io = SF_VIRTUAL_IO(get_filelen: MemorySource.length, seek: MemorySource.seek, read: MemorySource.read,
                               write: MemorySource.write, tell: MemorySource.tell)
        var info = SF_INFO()
        let h = sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(source).toOpaque())
        let opened = try SoundFile.checkOpened(h, info: info, name: name)
        (sampleRate, channels, frames, formatName) = (opened.sampleRate, opened.channels, opened.frames, opened.format)
        handle = opened.handle
    }

    /// The checks every opened file goes through: a handle, channels, a rate and at least one frame.
    private static func checkOpened(_ h: OpaquePointer?, info: SF_INFO, name: String) throws
        -> (handle: OpaquePointer, sampleRate: Int, channels: Int, frames: Int, format: String) {
        guard let h else {
            let message = SoundFile.oneLine(String(cString: sf_strerror(nil)))
            throw AudioSpecNetError.file(path: name, reason: "not a readable audio file (libsndfile: \(message))")
        }
        guard info.channels > 0, info.samplerate > 0 else {
            sf_close(h)
            throw AudioSpecNetError.file(path: name, reason: "has \(info.channels) channels at \(info.samplerate) Hz")
        }
        guard info.frames > 0 else {
            sf_close(h)
            throw AudioSpecNetError.file(path: name, reason: "contains no audio (0 frames)")
        }
        let frames = info.frames == Int64.max ? Int.max : Int(info.frames)  // libsndfile says Int64.max when unknown
        return (h, Int(info.samplerate), Int(info.channels), frames, SoundFile.describe(format: info.format))
    }

    deinit { if let h = handle { sf_close(h) } }

    /// Reads up to `maxFrames` frames, appends their mono mix to `output`, and returns how many it read
    /// (0 at the end). Throws when a sample is NaN or infinite, naming the frame.
    func readMono(maxFrames: Int, into output: inout [Float]) throws -> Int {
        guard let h = handle, maxFrames > 0 else { return 0 }
        let ch = channels
        if interleaved.count < maxFrames * ch { interleaved = [Float](repeating: 0, count: maxFrames * ch) }
        let got = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(h, $0.baseAddress!, Int64(maxFrames)) }
        if got <= 0 {
            let code = sf_error(h)
            if code != 0 {
                throw AudioSpecNetError.file(path: path, reason: "decoding failed after \(framesRead) frames (libsndfile: \(SoundFile.oneLine(String(cString: sf_strerror(h)))))")
            }
            return 0
        }
        let n = Int(got)
        let start = output.count
        output.reserveCapacity(start + n)
        output.append(contentsOf: repeatElement(0, count: n))
        var bad = -1
        interleaved.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                let p = src.baseAddress!, q = dst.baseAddress! + start
                if ch == 1 {
                    for i in 0..<n { let v = p[i]; if !v.isFinite { bad = i; break }; q[i] = v }
                } else {
                    // Summed left to right, then divided: the order the Python fixtures use, so the mix is exact.
                    let scale = Float(ch)
                    for i in 0..<n {
                        var s = p[i * ch]
                        for c in 1..<ch { s += p[i * ch + c] }
                        if !s.isFinite { bad = i; break }
                        q[i] = s / scale
                    }
                }
            }
        }
        if bad >= 0 {
            throw AudioSpecNetError.file(path: path, reason: "contains NaN or infinite samples (first at frame \(framesRead + bad))")
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

/// Bytes that libsndfile reads through its virtual I/O callbacks (a C function table; `user_data` points here).
private final class MemorySource {
    let bytes: Data
    var position: Int64 = 0
    init(_ bytes: Data) { self.bytes = bytes }

    private static func source(_ user: UnsafeMutableRawPointer?) -> MemorySource {
        Unmanaged<MemorySource>.fromOpaque(user!).takeUnretainedValue()
    }

    static let length: sf_vio_get_filelen = { user in Int64(source(user).bytes.count) }

    static let seek: sf_vio_seek = { offset, whence, user in
        let s = source(user)
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = s.position
        case SEEK_END: base = Int64(s.bytes.count)
        default: return -1
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { return -1 }
        s.position = target  // past the end is allowed, as for files: reads there return 0
        return target
    }

    static let read: sf_vio_read = { destination, count, user in
        let s = source(user)
        guard let destination, count > 0, s.position < Int64(s.bytes.count) else { return 0 }
        let n = Int(min(count, Int64(s.bytes.count) - s.position))
        let from = Int(s.position)
        s.bytes.withUnsafeBytes { raw in
            destination.copyMemory(from: raw.baseAddress! + from, byteCount: n)
        }
        s.position += Int64(n)
        return Int64(n)
    }

    static let write: sf_vio_write = { _, _, _ in 0 }  // read-only

    static let tell: sf_vio_tell = { user in source(user).position }
}
