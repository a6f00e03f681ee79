import Foundation

/// Writes a file so that a crash or `kill -9` at any instant leaves either the old file or the new one,
/// never a torn mix: write a temporary sibling, fsync it, rename over the target, fsync the directory.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw AudioSpecNetError.file(path: path, reason: "cannot create (\(errnoText()))") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
        let reason = ok ? "" : errnoText()
        close(fd)
        guard ok else {
            unlink(temporary)
            throw AudioSpecNetError.file(path: path, reason: "cannot write (\(reason))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw AudioSpecNetError.file(path: path, reason: "cannot rename into place (\(reason))")
        }
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// Makes `path` a second name of the finished file `existing` (a hard link, renamed into place): the
    /// same bytes without writing them again. False when the file system cannot link (then write instead).
    public static func link(_ existing: String, to path: String) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).tmp-\(getpid())"
        unlink(temporary)
        guard Foundation.link(existing, temporary) == 0 else { return false }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
        return true
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
