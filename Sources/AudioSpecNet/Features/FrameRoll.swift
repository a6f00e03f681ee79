/// A circular roll of a log-mel's frames ([rows, frames] row-major), every row alike: training's time shift
/// (`--time-shift`) and inference's test-time views (`--tta`) both move a clip in time this way.
public enum FrameRoll {
    /// Rolls each of `rows` rows of `frames` values right by `shift` (left when negative), in place;
    /// `scratch` holds `frames` values.
    public static func roll(_ x: UnsafeMutablePointer<Float>, rows: Int, frames: Int, by shift: Int,
                            scratch: UnsafeMutablePointer<Float>) {
        let k = ((shift % frames) + frames) % frames
        guard k != 0 else { return }
        for r in 0..<rows {
            let row = x + r * frames
            scratch.update(from: row, count: frames)
            (row + k).update(from: scratch, count: frames - k)
            row.update(from: scratch + (frames - k), count: k)
        }
    }

    /// A rolled copy.
    public static func rolled(_ x: [Float], rows: Int, frames: Int, by shift: Int) -> [Float] {
        precondition(x.count == rows * frames, "FrameRoll: \(x.count) values are not \(rows) × \(frames)")
        var out = x
        var scratch = [Float](repeating: 0, count: frames)
        out.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { roll(o.baseAddress!, rows: rows, frames: frames, by: shift, scratch: $0.baseAddress!) }
        }
        return out
    }
}
