import ArgumentParser
import AudioSpecNet

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "infer", abstract: "Not yet available.")

    func run() throws {
        FileHandleOutput.standardError("audiospecnet: \(NotYetAvailable(command: "infer"))")
        throw ExitCode(2)
    }
}
