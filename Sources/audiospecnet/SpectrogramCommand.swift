import ArgumentParser
import Foundation
import AudioSpecNet

struct SpectrogramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrogram",
        abstract: "Write the log-mel spectrogram of an audio file as .npy (and optionally a PNG picture).",
        discussion: """
            Decodes the input (WAV, FLAC, OGG/Vorbis, Opus, MP3: whatever libsndfile reads), mixes it to mono, resamples \
            it to 22 050 Hz (soxr HQ), fits it to 5 s (zeros appended, or cropped) and writes the log-mel the \
            network sees: float32, C order, shape (128, 216), in dB, as torchaudio's \
            MelSpectrogram(22050, n_fft=1024, hop_length=512, n_mels=128) + AmplitudeToDB() computes it. \
            With --full the audio is neither padded nor cropped: shape (128, 1 + samples / 512).
            """
    )

    @Argument(help: "The audio file.", completion: .file())
    var input: String

    @Option(name: .long, help: ArgumentHelp("Where to write the log-mel (.npy, float32, shape (128, frames)).", valueName: "OUT.npy"), completion: .file(extensions: ["npy"]))
    var out: String

    @Option(name: .long, help: ArgumentHelp("Also write a picture: low frequencies at the bottom, magma colours over the top 80 dB, 3×3 pixels per bin.", valueName: "OUT.png"), completion: .file(extensions: ["png"]))
    var png: String?

    @Flag(name: .long, help: "Keep the whole file: no padding or cropping to 5 s.")
    var full = false

    func run() throws {
        let frontEnd = try FrontEnd()
        let config = frontEnd.config
        let logMel: [Float], frames: Int
        if full {
            (logMel, frames) = try frontEnd.logMelFull(path: input)
        } else {
            logMel = try frontEnd.logMel(path: input)
            frames = config.clipFrames
        }
        try NPY.write(logMel, shape: [config.nMels, frames], to: out)
        if let png {
            try Heatmap.spectrogram(logMel, nMels: config.nMels, frames: frames).writePNG(to: png)
        }
        let top = logMel.max() ?? 0, bottom = logMel.min() ?? 0
        print("\(out): \(config.nMels)×\(frames) log-mel, \(String(format: "%.1f", bottom))…\(String(format: "%.1f", top)) dB\(png.map { ", picture \($0)" } ?? "")")
    }
}
