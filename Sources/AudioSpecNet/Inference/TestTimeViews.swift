import Foundation

/// How a test-time view moves a window's log-mel in time (`--tta-scheme`). Which one helps is measured, not
/// assumed (docs/accuracy.md, "Test-time views"): a roll keeps every frame but joins the clip's end to its
/// start, a padded shift hears only real sound but loses frames, a crop shows the network shorter clips.
public enum TTAScheme: String, CaseIterable, Sendable {
    /// A circular roll of the frames by the offset (what `--time-shift` trains with).
    case roll
    /// A shift by the offset, the frames it uncovers at the log-mel floor (−100 dB, the front end's silence).
    case pad
    /// Overlapping crops: every view has the window's frames less the offsets' span, starting at
    /// (offset − the smallest offset): K crops evenly over the window.
    case crop
}

/// The K views of each window that `--tta K` averages: their frame offsets, evenly spaced over ±shift
/// (0 alone for K = 1, which is the window as it is under every scheme), and how each view is made.
public struct TestTimeViews: Equatable, Sendable {
    public let scheme: TTAScheme
    public let shiftSeconds: Double
    /// One per view, in hops of the front end.
    public let offsets: [Int]

    /// The log-mel value of silence, which a padded shift fills with.
    static let floorDB = Float(10 * log10(Double(LogMelSpectrogram.floorPower)))

    public var count: Int { offsets.count }
    /// The frames a crop loses: the offsets' span (0 under the other schemes, whose views keep the window's length).
    public var framesRemoved: Int { scheme == .crop ? offsets.max()! - offsets.min()! : 0 }

    public init(count: Int = 1, shiftSeconds: Double = 1.0, scheme: TTAScheme = .roll, config: FrontEndConfig) throws {
        guard (1...64).contains(count) else { throw AudioSpecNetError.invalidArgument("--tta must be 1…64 views, got \(count)") }
        guard shiftSeconds.isFinite, shiftSeconds >= 0, shiftSeconds <= 600 else {
            throw AudioSpecNetError.invalidArgument("the TTA shift must be 0…600 seconds, got \(shiftSeconds)")
        }
        self.scheme = scheme
        self.shiftSeconds = shiftSeconds
        let hops = shiftSeconds * Double(config.sampleRate) / Double(config.hopLength)
        offsets = count == 1 ? [0] : (0..<count).map { j in Int((hops * (2 * Double(j) / Double(count - 1) - 1)).rounded()) }
    }

    /// Refuses a crop that would leave windows of `frames` frames with none (the shift spans the window).
    public func check(windowFrames frames: Int) throws {
        guard framesRemoved < frames else {
            throw AudioSpecNetError.invalidArgument("--tta-scheme crop with --tta-shift \(shiftSeconds) s removes \(framesRemoved) of the window's \(frames) frames, leaving none: shorten the shift")
        }
    }

    /// The frames each view of a `frames`-frame window has.
    public func viewFrames(_ frames: Int) -> Int { frames - framesRemoved }

    /// View `index` of one log-mel ([rows, frames] row-major): [rows, viewFrames(frames)].
    public func view(_ index: Int, of x: [Float], rows: Int, frames: Int) -> [Float] {
        let offset = offsets[index]
        switch scheme {
        case .roll:
            return offset == 0 ? x : FrameRoll.rolled(x, rows: rows, frames: frames, by: offset)
        case .pad:
            return offset == 0 ? x : Self.shifted(x, rows: rows, frames: frames, by: offset)
        case .crop:
            let width = viewFrames(frames), start = offset - offsets.min()!
            if width == frames { return x }
            var out = [Float](repeating: 0, count: rows * width)
            for r in 0..<rows { out[(r * width)..<((r + 1) * width)] = x[(r * frames + start)..<(r * frames + start + width)] }
            return out
        }
    }

    /// Each row moved right by `shift` frames (left when negative), the uncovered frames at the floor.
    static func shifted(_ x: [Float], rows: Int, frames: Int, by shift: Int) -> [Float] {
        precondition(x.count == rows * frames, "TestTimeViews: \(x.count) values are not \(rows) × \(frames)")
        var out = [Float](repeating: floorDB, count: x.count)
        let k = min(abs(shift), frames), kept = frames - k
        guard kept > 0 else { return out }
        for r in 0..<rows {
            let from = r * frames + (shift > 0 ? 0 : k), to = r * frames + (shift > 0 ? k : 0)
            out[to..<(to + kept)] = x[from..<(from + kept)]
        }
        return out
    }
}
