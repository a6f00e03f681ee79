import AudioSpecNet
import _TestSupport

/// The front-end fixtures written by Scripts/fixtures/frontend.py (one safetensors file and one audio
/// file per name).
enum FrontendFixture {
    static let names = [
        "esc50_44k_4-182395-A-0", "esc50_16k_4-182395-A-0", "esc50_44k_4-125070-A-19",
        "tone1k_22050_pcm16", "chirp_8000_long_flac", "chirp_16000_stereo_pcm24", "chirp_44100_stereo_float",
        "tones_48000_6ch_pcm16", "chirp_44100_ogg", "silence_22050",
    ]
    static let extensions = [
        "tone1k_22050_pcm16": "wav", "chirp_8000_long_flac": "flac", "chirp_16000_stereo_pcm24": "wav",
        "chirp_44100_stereo_float": "wav", "tones_48000_6ch_pcm16": "wav", "chirp_44100_ogg": "ogg",
        "silence_22050": "flac",
    ]
    /// Lossy files: the decoded samples depend on the libvorbis build, so they are compared loosely.
    static func isLossy(_ name: String) -> Bool { name.hasSuffix("_ogg") }

    static func audioPath(_ name: String) -> String {
        Fixtures.path("frontend/audio/\(name).\(extensions[name] ?? "flac")")
    }

    static func reference(_ name: String) throws -> SafetensorsFile {
        try Fixtures.safetensors("frontend/\(name).safetensors")
    }
}

/// Worst |actual − expected| over the bins whose expected value lies within `range` dB of the maximum.
struct DecibelComparison {
    let worstWithin60: Double, worstWithin100: Double, worstAll: Double, binsWithin60: Int, binsWithin100: Int

    init(_ actual: [Float], _ expected: [Double]) {
        precondition(actual.count == expected.count)
        let top = expected.max() ?? 0
        var w60 = 0.0, w100 = 0.0, wAll = 0.0, n60 = 0, n100 = 0
        for i in 0..<actual.count {
            let a = Double(actual[i])
            let d = a.isFinite ? abs(a - expected[i]) : .infinity
            wAll = max(wAll, d)
            if expected[i] >= top - 100 { w100 = max(w100, d); n100 += 1 }
            if expected[i] >= top - 60 { w60 = max(w60, d); n60 += 1 }
        }
        worstWithin60 = w60; worstWithin100 = w100; worstAll = wAll; binsWithin60 = n60; binsWithin100 = n100
    }
}
