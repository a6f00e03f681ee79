import CSndfile

/// Bytes libsndfile reads or writes through its virtual I/O callbacks (`sf_open_virtual`) instead of a file:
/// an upload or a fuzzer's input read in place, an MP3 written into memory. `user_data` points at the
/// instance, which its owner keeps alive while the handle is open. Writing is refused unless asked for, so
/// a reader never changes what it reads.
final class MemoryBytes {
    private(set) var bytes: [UInt8]
    var position = 0
    let writable: Bool

    init(_ bytes: [UInt8] = [], writable: Bool = false) {
        self.bytes = bytes
        self.writable = writable
    }

    private static func of(_ user: UnsafeMutableRawPointer?) -> MemoryBytes {
        Unmanaged<MemoryBytes>.fromOpaque(user!).takeUnretainedValue()
    }

    static let virtualIO = SF_VIRTUAL_IO(
        get_filelen: { user in sf_count_t(MemoryBytes.of(user).bytes.count) },
        seek: { offset, whence, user in
            let m = MemoryBytes.of(user)
            let base: Int
            switch whence {
            case SEEK_SET: base = 0
            case SEEK_CUR: base = m.position
            case SEEK_END: base = m.bytes.count
            default: return -1
            }
            // Checked: a corrupt header can ask libsndfile to seek anywhere.
            let (target, overflow) = base.addingReportingOverflow(Int(offset))
            guard !overflow, target >= 0 else { return -1 }
            m.position = target
            return sf_count_t(target)
        },
        read: { destination, count, user in
            let m = MemoryBytes.of(user)
            guard let destination, count > 0, m.position < m.bytes.count else { return 0 }
            let n = min(Int(count), m.bytes.count - m.position)
            m.bytes.withUnsafeBytes { raw in
                destination.copyMemory(from: raw.baseAddress! + m.position, byteCount: n)
            }
            m.position += n
            return sf_count_t(n)
        },
        write: { source, count, user in
            let m = MemoryBytes.of(user)
            guard m.writable, let source, count > 0 else { return 0 }
            let n = Int(count), end = m.position + n
            if end > m.bytes.count { m.bytes += [UInt8](repeating: 0, count: end - m.bytes.count) }
            m.bytes.withUnsafeMutableBytes { ($0.baseAddress! + m.position).copyMemory(from: source, byteCount: n) }
            m.position = end
            return count
        },
        tell: { user in sf_count_t(MemoryBytes.of(user).position) }
    )
}
