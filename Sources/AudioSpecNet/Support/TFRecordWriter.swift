import Foundation

/// A TFRecord file, the framing of TensorBoard's event files (TensorFlow's `io/record_writer.cc`): each
/// record is its length as a little-endian uint64, the masked CRC32C of those 8 bytes, the data, and the
/// masked CRC32C of the data. Written here by hand, as `CRC32C` is, since no Swift package for it is
/// available to this project.
///
/// Records wait in memory until `flush()`, which hands them to the kernel in one `write`: a process killed
/// between flushes leaves a file of whole records; one killed inside the write may leave a torn last
/// record, which TensorBoard's reader skips. `close()` (or deinit) flushes what is left.
public final class TFRecordWriter {
    public let path: String
    private var fd: Int32
    private var pending: [UInt8] = []

    /// Creates `path`; refuses one that exists (a writer never appends to another's file).
    public init(creating path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw AudioSpecNetError.file(path: path, reason: "cannot create (\(errnoText()))") }
    }

    deinit {
        try? close()
    }

    /// One record's bytes: length, its masked CRC, `data`, the data's masked CRC.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        out += length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out += $0 }
        return out
    }

    /// Queues one record (written at the next flush).
    public func append(_ data: [UInt8]) {
        pending += TFRecordWriter.frame(data)
    }

    /// Writes the queued records.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        guard fd >= 0 else { throw AudioSpecNetError.file(path: path, reason: "written after close") }
        var written = 0
        let failure: String? = pending.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return errnoText() }
                written += n
            }
            return nil
        }
        pending.removeAll(keepingCapacity: true)
        if let failure { throw AudioSpecNetError.file(path: path, reason: "cannot write (\(failure))") }
    }

    /// Flushes and closes; later calls do nothing.
    public func close() throws {
        guard fd >= 0 else { return }
        defer { Foundation.close(fd); fd = -1 }
        try flush()
    }
}
