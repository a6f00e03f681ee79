import ArgumentParser
import AudioSpecNet
import AudioSpecNetService
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over HTTP: the reference web service's /inference, a raw-audio /classify, health and metrics.",
        discussion: """
        Routes: POST /inference with {"audio_data": "<base64 of an audio file>"} returns what `infer --features` \
        prints (top-3 predictions, the feature maps, the input spectrogram and the waveform), so the reference's \
        web front end works unchanged; POST /classify with the audio file as the body (curl --data-binary @clip.wav) \
        returns what `infer --json` prints (?top=k for more classes); GET /health, GET /metrics (Prometheus) and \
        GET /openapi.json. Requests that arrive within --batch-window share one forward pass (at most --max-batch \
        windows). --model more than once serves an ensemble and --tta K (--tta-shift, --tta-scheme) averages K time-shifted views of each window, \
        exactly as `infer` does (one path). Errors are JSON ({"error": "...", "status": N}): 400 bad JSON/base64/empty body, 404, 405, \
        413 body over --max-body or audio over --max-seconds, 422 not readable audio, 503 overloaded.

        Binds to 127.0.0.1 unless --host says otherwise. SIGTERM or Ctrl-C: stops taking connections, finishes \
        the requests in flight and exits 0.
        """)

    @OptionGroup var models: ClassifierOptions

    @Option(help: "Address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed at start).") var port = 8000
    @Option(name: .customLong("max-body"), help: "Largest request body (e.g. 20MB, 512KB).") var maxBody = "20MB"
    @Option(name: .customLong("max-seconds"), help: "Longest audio accepted, in seconds.") var maxSeconds = 60.0
    @Option(name: .customLong("batch-window"), help: "How long a request waits for others to share its forward pass (e.g. 10ms).")
    var batchWindow = "10ms"
    @Option(name: .customLong("max-batch"), help: "Most windows in one forward pass.") var maxBatch = 16
    @Option(name: .customLong("cors-origin"), help: ArgumentHelp("An origin whose pages may call the service (repeatable).", valueName: "ORIGIN"))
    var corsOrigins: [String] = []
    @OptionGroup var compute: ThreadOptions

    func validate() throws {
        _ = try configuration()
    }

    func configuration() throws -> ServiceConfiguration {
        var c = ServiceConfiguration()
        c.host = host
        c.port = port
        guard let bytes = ServiceConfiguration.parseBytes(maxBody) else { throw ValidationError("--max-body must be a size such as 20MB, got \(maxBody)") }
        c.maxBodyBytes = bytes
        c.maxSeconds = maxSeconds
        guard let window = ServiceConfiguration.parseDuration(batchWindow) else {
            throw ValidationError("--batch-window must be a duration such as 10ms, got \(batchWindow)")
        }
        c.batchWindow = window
        c.maxBatch = maxBatch
        c.corsOrigins = corsOrigins
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        return c
    }

    func run() async throws {
        let paths = try models.paths()
        let model = paths.joined(separator: " + ")
        var configuration = try configuration()
        configuration.frontEndThreads = compute.count
        let averaged = try AveragedClassifier(classifiers: try models.classifiers(context: compute.context), tta: models.tta,
                                              shiftSeconds: models.ttaShift, scheme: models.ttaScheme)
        let service = try InferenceService(configuration: configuration, models: averaged, modelDescription: model)
        let server = ServiceServer(service: service, signals: [.sigterm, .sigint])
        if let port = await server.port() {
            let views = models.tta > 1 ? ", \(models.tta) TTA views (\(models.ttaScheme.rawValue))" : ""
            FileHandleOutput.standardError("serving \(model) (\(averaged.first.classes.count) classes\(views)) on http://\(configuration.host):\(port) — POST /inference, POST /classify, GET /health, /metrics, /openapi.json")
        }
        do {
            try await server.wait()
        } catch {
            printError("the server stopped: \(error)")
            throw ExitStatus.couldNotRun
        }
        FileHandleOutput.standardError("stopped")
    }
}
