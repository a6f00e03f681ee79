import ArgumentParser
import AudioSpecNet

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Not yet available.")

    func run() throws {
        FileHandleOutput.standardError("audiospecnet: \(NotYetAvailable(command: "bench"))")
        throw ExitCode(2)
    }
}
