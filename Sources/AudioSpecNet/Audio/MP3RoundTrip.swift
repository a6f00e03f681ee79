import CSndfile
import Foundation

/// Audio through an MP3 encoder and back, as a recording shared or stored as MP3 reaches the model:
/// libsndfile's MPEG layer III writer (LAME) into memory at a constant bit rate, then its reader (mpg123).
/// `eval --perturb mp3:KBPS` uses it.
public enum MP3RoundTrip {
    /// The bit rates MPEG layer III has at `sampleRate` (kbit/s): MPEG-1 from 32 kHz, MPEG-2 from 16 kHz,
    /// MPEG-2.5 below; nil for a rate it does not code.
    public static func bitRates(sampleRate: Int) -> ClosedRange<Int>? {
        switch sampleRate {
        case 32_000, 44_100, 48_000: return 32...320
        case 16_000, 22_050, 24_000: return 8...160
        case 8_000, 11_025, 12_000: return 8...64
        default: return nil
        }
    }

    /// The encoder's output and the samples decoded from it, aligned with the input and as long as it.
    public struct Result {
        public var samples: [Float]
        public var encodedBytes: Int
    }

    /// Encodes `samples` (mono, `sampleRate`) at `kbps` and decodes them again. libsndfile's writer takes a
    /// compression level, which it maps linearly onto the bit-rate range of the rate (0 the highest, 1 the
    /// lowest); the level here is the one that gives `kbps`.
    public static func apply(_ samples: [Float], sampleRate: Int, kbps: Int) throws -> Result {
        guard let rates = bitRates(sampleRate: sampleRate) else {
            throw AudioSpecNetError.invalidArgument("mp3: MPEG layer III does not code \(sampleRate) Hz (8, 11.025, 12, 16, 22.05, 24, 32, 44.1 or 48 kHz)")
        }
        guard rates.contains(kbps) else {
            throw AudioSpecNetError.invalidArgument("mp3: \(kbps) kbit/s is outside \(rates.lowerBound)–\(rates.upperBound) kbit/s at \(sampleRate) Hz")
        }
        guard !samples.isEmpty else { return Result(samples: [], encodedBytes: 0) }
        let encoded = try encode(samples, sampleRate: sampleRate,
                                 level: Double(rates.upperBound - kbps) / Double(rates.upperBound - rates.lowerBound))
        let decoded = try AudioDecoder.decode(bytes: encoded, name: "<mp3 round trip>").samples
        return Result(samples: aligned(decoded, to: samples), encodedBytes: encoded.count)
    }

    private static func encode(_ samples: [Float], sampleRate: Int, level: Double) throws -> [UInt8] {
        let sink = MemoryBytes(writable: true)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
        var io = MemoryBytes.virtualIO
        guard let handle = sf_open_virtual(&io, Int32(SFM_WRITE), &info, Unmanaged.passUnretained(sink).toOpaque()) else {
            throw AudioSpecNetError.invalidArgument("mp3: this libsndfile cannot write MP3 (\(String(cString: sf_strerror(nil))))")
        }
        var mode = Int32(SF_BITRATE_MODE_CONSTANT), compression = level
        // the mode's answer is not checked: libsndfile 1.2.0 answers 0 for MPEG and codes at a constant rate
        // (the test measures the bytes written)
        _ = sf_command(handle, Int32(SFC_SET_BITRATE_MODE), &mode, Int32(MemoryLayout<Int32>.size))
        let configured = sf_command(handle, Int32(SFC_SET_COMPRESSION_LEVEL), &compression, Int32(MemoryLayout<Double>.size)) == SF_TRUE
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
        let reason = String(cString: sf_strerror(handle))
        sf_close(handle)
        guard configured, written == samples.count else { throw AudioSpecNetError.invalidArgument("mp3: the encoder failed (\(reason))") }
        return withExtendedLifetime(sink) { sink.bytes }
    }

    /// The decoded samples shifted to line up with the input, cut or zero-padded to its length. mpg123
    /// removes the coder's delay itself when LAME's gapless header says how long it is; when it does not
    /// (the decoded audio is longer: 1 105 samples at 32 kbit/s and 16 kHz here), the shift is the one that
    /// correlates best with the input over its first second, within what the extra length allows.
    static func aligned(_ decoded: [Float], to input: [Float]) -> [Float] {
        let extra = decoded.count - input.count
        var shift = 0
        if extra > 0 {
            let span = min(input.count, max(4_096, input.count / 5))
            var best = -Double.infinity
            decoded.withUnsafeBufferPointer { y in
                input.withUnsafeBufferPointer { x in
                    for d in 0...min(extra, 4_608) {
                        var dot = 0.0
                        for i in 0..<span { dot += Double(x[i]) * Double(y[i + d]) }
                        if dot > best { best = dot; shift = d }
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: input.count)
        let n = min(input.count, decoded.count - shift)
        if n > 0 { for i in 0..<n { out[i] = decoded[i + shift] } }
        return out
    }
}
