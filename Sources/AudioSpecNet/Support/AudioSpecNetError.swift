/// Every failure the library reports. Each case names the thing involved (file, key, shape) so that the
/// CLI can print one line a user can act on; the library never exits or traps on bad input.
public enum AudioSpecNetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be used: `path` and the reason in words.
    case file(path: String, reason: String)
    /// A model or fixture file whose contents do not match what was expected.
    case format(path: String, reason: String)
    /// An argument or configuration value that cannot work.
    case invalidArgument(String)
    /// Training produced a non-finite value.
    case numerical(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "\(path): \(reason)"
        case .format(let path, let reason): return "\(path): \(reason)"
        case .invalidArgument(let message): return message
        case .numerical(let message): return message
        }
    }
}
