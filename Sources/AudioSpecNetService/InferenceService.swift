import AudioSpecNet
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `audiospecnet serve`: the reference's HTTP inference endpoint and a raw-bytes route, on Hummingbird.
///
///     POST /inference   {"audio_data": "<base64 audio file>"}  → the JSON of `infer --features`
///     POST /classify    raw audio file (`?top=k`)              → the JSON of `infer --json`
///     GET  /health, /metrics (Prometheus), /openapi.json
///
/// The front end of each request runs on that request's task; the network runs in `InferenceBatcher`.
/// No route reads or writes a local file: audio arrives in the body and is decoded in memory.
/// (`@unchecked`: the classifier's network runs on the batcher's thread alone; requests only read its
/// immutable classes and front end.)
public final class InferenceService: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    /// The first model: its front end and classes are the service's.
    public var classifier: Classifier { models.first }
    public let models: AveragedClassifier
    public let metrics: ServiceMetrics
    public let batcher: InferenceBatcher
    /// Where each request's front end runs: bounded, and the service's own.
    public let frontEndWorkers: FrontEndWorkers
    /// The model's clip, every half clip (as `infer`'s defaults).
    public let plan: WindowPlan
    public let modelDescription: String

    /// The routes and their methods: what 404 and 405 are decided on, and what the OpenAPI document lists.
    static let routes: [String: [HTTPRequest.Method]] = [
        "/inference": [.post], "/classify": [.post], "/health": [.get], "/metrics": [.get], "/openapi.json": [.get],
    ]

    /// The routes as path → method names (tests compare them with the OpenAPI document).
    public static var routeTable: [String: [String]] { routes.mapValues { $0.map(\.rawValue) } }

    public convenience init(configuration: ServiceConfiguration, classifier: Classifier, modelDescription: String) throws {
        try self.init(configuration: configuration, models: try AveragedClassifier(classifiers: [classifier]), modelDescription: modelDescription)
    }

    /// `models`: an ensemble and/or test-time views (`serve --model A --model B --tta K`), averaged as `infer`
    /// averages them.
    public init(configuration: ServiceConfiguration, models: AveragedClassifier, modelDescription: String) throws {
        try configuration.validate()
        self.configuration = configuration
        self.models = models
        // a pass is the batcher's batch, as `infer`'s are its own
        for model in models.classifiers { model.maxBatch = configuration.maxBatch }
        self.modelDescription = modelDescription
        let config = models.first.config
        plan = WindowPlan(config: config)
        let metrics = ServiceMetrics()
        self.metrics = metrics
        frontEndWorkers = FrontEndWorkers(threads: configuration.frontEndThreads, maxQueued: configuration.maxQueuedRequests)
        batcher = InferenceBatcher(models: models, frames: plan.windowFrames, maxBatch: configuration.maxBatch,
                                   batchWindow: configuration.batchWindow, maxQueued: configuration.maxQueuedRequests,
                                   onBatch: { metrics.batch(windows: $0, duration: $1) })
    }

    /// The router with every route and the middleware (metrics, CORS, 404/405, JSON errors).
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics, routes: Self.routes))
        router.add(middleware: CORSOriginsMiddleware(origins: Set(configuration.corsOrigins)))
        router.add(middleware: RouteCheckMiddleware(routes: Self.routes))
        router.post("/inference") { request, context in await self.respond(context) { try await self.inference(request) } }
        router.post("/classify") { request, context in await self.respond(context) { try await self.classify(request) } }
        router.get("/health") { _, _ in Self.json(self.health()) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: self.metrics.text())))
        }
        router.get("/openapi.json") { _, _ in Self.json(OpenAPIDocument.text) }
        return router
    }

    /// Stops the front end and the network thread once the server has stopped taking requests.
    public func shutdown() {
        frontEndWorkers.stop()
        batcher.stop()
    }

    // MARK: - Routes

    func inference(_ request: Request) async throws -> String {
        let body = try await collect(request)
        let audio = try Self.audioData(fromJSON: body)
        return try await classify(audio, topK: 3, features: true)
    }

    func classify(_ request: Request) async throws -> String {
        var topK = 3
        if let text = request.uri.queryParameters["top"] {
            guard let k = Int(text), k >= 1 else { throw ServiceError.badRequest("`top` must be a positive integer, got \(text)") }
            topK = min(k, classifier.classes.count)
        }
        let body = try await collect(request)
        return try await classify(Data(buffer: body), topK: topK, features: false)
    }

    private func classify(_ bytes: Data, topK: Int, features: Bool) async throws -> String {
        let config = classifier.config, frontEnd = classifier.frontEnd
        let (plan, maxSeconds) = (self.plan, configuration.maxSeconds)
        let audio = try await frontEndWorkers.run {
            try AudioRequest.prepare(bytes: bytes, frontEnd: frontEnd, plan: plan, maxSeconds: maxSeconds,
                                     waveformPoints: features ? 8000 : 0)
        }
        let output = try await batcher.classify(audio.spectrograms, captureFeatures: features)
        return ServiceResponses.classification(audio, output: output, classes: classifier.classes, topK: topK, config: config,
                                               plan: plan, features: features)
    }

    /// The body, refused with 413 from its declared length before any of it is read, or as soon as more
    /// than the limit has arrived.
    private func collect(_ request: Request) async throws -> ByteBuffer {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw ServiceError.tooLarge("the body is \(declared) bytes; this service accepts at most \(limit)")
        }
        do {
            let body = try await request.body.collect(upTo: limit)
            guard body.readableBytes > 0 else { throw ServiceError.badRequest("the body is empty") }
            return body
        } catch is NIOTooManyBytesError {
            throw ServiceError.tooLarge("the body is over \(limit) bytes, the most this service accepts")
        } catch let error as ServiceError {
            throw error
        } catch {
            // the client's side of the connection (a body cut short, a reset): not the service's fault
            throw ServiceError.badRequest("the body could not be read: \(AudioRequest.oneLine(error))")
        }
    }

    /// `{"audio_data": "<base64>"}`; a `data:…;base64,` prefix (what a browser's FileReader gives) is accepted.
    static func audioData(fromJSON body: ByteBuffer) throws -> Data {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(buffer: body)) } catch {
            throw ServiceError.badRequest("the body is not JSON; send {\"audio_data\": \"<base64 of an audio file>\"}")
        }
        guard let fields = object as? [String: Any] else { throw ServiceError.badRequest("the body must be a JSON object with \"audio_data\"") }
        guard let value = fields["audio_data"] else { throw ServiceError.badRequest("the JSON has no \"audio_data\" field") }
        guard var text = value as? String else { throw ServiceError.badRequest("\"audio_data\" must be a base64 string") }
        if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]) }
        guard !text.isEmpty else { throw ServiceError.badRequest("\"audio_data\" is empty") }
        guard let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !bytes.isEmpty else {
            throw ServiceError.badRequest("\"audio_data\" is not valid base64")
        }
        return bytes
    }

    func health() -> String {
        let config = classifier.config
        let frontend = JSONText.object([
            ("sample_rate", String(config.sampleRate)), ("n_fft", String(config.nFFT)), ("hop_length", String(config.hopLength)),
            ("n_mels", String(config.nMels)), ("f_min", JSONText.number(config.fMin)), ("f_max", JSONText.number(config.fMax)),
            ("clip_seconds", JSONText.number(config.clipSeconds)),
        ])
        return JSONText.object([
            ("status", JSONText.string("ok")), ("version", JSONText.string(audioSpecNetVersion)),
            ("model", JSONText.object([("source", JSONText.string(modelDescription)),
                                       ("models", String(models.classifiers.count)),
                                       ("tta_views", String(models.offsets.count)),
                                       ("tta_shift_seconds", JSONText.number(models.views.shiftSeconds)),
                                       ("tta_scheme", JSONText.string(models.views.scheme.rawValue)),
                                       ("parameters", String(classifier.model.arena.parameterCount)),
                                       ("classes", "[" + classifier.classes.map(JSONText.string).joined(separator: ",") + "]"),
                                       ("frontend", frontend)])),
            ("limits", JSONText.object([("max_body_bytes", String(configuration.maxBodyBytes)),
                                        ("max_seconds", JSONText.number(configuration.maxSeconds)),
                                        ("max_batch", String(configuration.maxBatch))])),
        ])
    }

    // MARK: - Responses

    /// Runs a route, turning every failure into a JSON error with its status.
    private func respond(_ context: some RequestContext, _ work: () async throws -> String) async -> Response {
        do {
            return Self.json(try await work())
        } catch {
            return Self.error(Self.failure(error, requestID: context.id, logger: context.logger))
        }
    }

    /// What a failed request is answered with: a `ServiceError` as itself (the client's problem, or load);
    /// anything else is the service's own fault — 500 with the request's id, the error logged under that id.
    public static func failure(_ error: Error, requestID: String, logger: Logger) -> ServiceError {
        if let error = error as? ServiceError { return error }
        logger.error("internal error answering request \(requestID): \(AudioRequest.oneLine(error))")
        return .internalError(requestID: requestID)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ e: ServiceError) -> Response {
        var response = json(ServiceResponses.error(e), status: HTTPResponse.Status(code: e.status))
        if case .methodNotAllowed(_, let allowed) = e { response.headers[.allow] = allowed.joined(separator: ", ") }
        return response
    }
}
