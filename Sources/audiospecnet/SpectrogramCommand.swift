import ArgumentParser
import AudioSpecNet

struct SpectrogramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spectrogram", abstract: "Not yet available.")

    func run() throws {
        FileHandleOutput.standardError("audiospecnet: \(NotYetAvailable(command: "spectrogram"))")
        throw ExitCode(2)
    }
}
