import ArgumentParser
import AudioSpecNet

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Not yet available.")

    func run() throws {
        FileHandleOutput.standardError("audiospecnet: \(NotYetAvailable(command: "train"))")
        throw ExitCode(2)
    }
}
