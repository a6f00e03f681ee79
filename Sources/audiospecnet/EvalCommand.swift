import ArgumentParser
import AudioSpecNet

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Not yet available.")

    func run() throws {
        FileHandleOutput.standardError("audiospecnet: \(NotYetAvailable(command: "eval"))")
        throw ExitCode(2)
    }
}
