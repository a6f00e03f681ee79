import AudioSpecNet
import AudioSpecNetService
import Foundation
import Logging
import XCTest
import _TestSupport

/// `audiospecnet serve` through a real HTTP client (URLSession) on loopback: every route, the reference's JSON shape,
/// batching, every bad request, CORS and the graceful shutdown.
final class ServeTests: XCTestCase {
    static let clip = InferTestSupport.clip(0)  // dog, 16 kHz FLAC, 5 s

    /// /inference answers with the JSON of `infer --features` for the same file: the reference's fields,
    /// the 37 maps of the recipe's depth, and the same predictions (the batch composition may change the
    /// convolution algorithm, so numbers agree to float32 rounding, not bit for bit).
    func testInferenceHasTheReferenceShapeAndMatchesInfer() async throws {
        let server = try await TestServer()
        let reply = try await server.inference(try Data(contentsOf: URL(fileURLWithPath: Self.clip)))
        try await server.close()
        XCTAssertEqual(reply.status, 200, reply.text.prefix(300).description)
        XCTAssertEqual(reply.header("content-type"), "application/json")
        let json = reply.json
        let predictions = try XCTUnwrap(json["predictions"] as? [[String: Any]])
        XCTAssertEqual(predictions.count, 3)
        let visualization = try XCTUnwrap(json["visualization"] as? [String: [String: Any]])
        XCTAssertEqual(visualization.count, 37)
        XCTAssertEqual(visualization["conv1"]?["shape"] as? [Int], [32, 54])
        XCTAssertEqual(visualization["layer4"]?["shape"] as? [Int], [4, 7])
        let spectrogram = try XCTUnwrap(json["input_spectrogram"] as? [String: Any])
        XCTAssertEqual(spectrogram["shape"] as? [Int], [128, 216])
        XCTAssertEqual((spectrogram["values"] as? [[Double]])?.count, 128)
        let waveform = try XCTUnwrap(json["waveform"] as? [String: Any])
        XCTAssertEqual(waveform["sample_rate"] as? Int, 22_050)
        XCTAssertLessThanOrEqual((waveform["values"] as? [Double])?.count ?? .max, 8000)
        XCTAssertEqual(json["duration"] as? Double ?? 0, 5, accuracy: 1e-3)
        XCTAssertEqual(json["sample_rate"] as? Int, 16_000)
        XCTAssertNil(json["file"])

        // The same file through `infer --features` (the library path the CLI uses).
        let runner = try InferenceRunner(classifier: try Classifier(modelPath: TestServer.modelPath), options: InferenceOptions(features: true))
        var local: FileResult?
        runner.run([Self.clip]) { local = $0 }
        let expected = try XCTUnwrap(local)
        let expectedTop = runner.classifier.top(expected.probabilities, k: 3)
        XCTAssertEqual(predictions.map { $0["class"] as? String }, expectedTop.map(\.label))
        for (p, e) in zip(predictions, expectedTop) {
            XCTAssertEqual(p["confidence"] as? Double ?? -1, Double(e.confidence), accuracy: 1e-4)
        }
        let maps = try XCTUnwrap(expected.features?.maps)
        XCTAssertEqual(Set(visualization.keys), Set(maps.map(\.name)))
        for map in maps {
            let values = (visualization[map.name]?["values"] as? [[Double]])?.flatMap { $0 } ?? []
            XCTAssertEqual(values.count, map.values.count, map.name)
            let scale = max(1e-3, map.values.map { abs(Double($0)) }.max() ?? 0)
            let worst = zip(values, map.values).map { abs($0 - Double($1)) }.max() ?? .infinity
            XCTAssertLessThan(worst / scale, 1e-4, map.name)
        }
    }

    /// /classify takes the file as the body; `?top=` picks k; long audio reports its windows.
    func testClassifyRawBodyTopKAndWindows() async throws {
        let server = try await TestServer()
        let (samples, rate) = try InferTestSupport.samples(Self.clip)
        let long = Fixtures.scratchDirectory("serve-long") + "/twelve-seconds.wav"
        try InferTestSupport.writeWAV(samples + samples + Array(samples.prefix(2 * rate)), channels: 1, sampleRate: rate, to: long)
        let reply = try await server.send("POST", "/classify?top=5", body: try Data(contentsOf: URL(fileURLWithPath: long)))
        let short = try await server.send("POST", "/classify", body: try Data(contentsOf: URL(fileURLWithPath: Self.clip)))
        try await server.close()
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["predictions"] as? [Any])?.count, 5)
        let windows = try XCTUnwrap(reply.json["windows"] as? [[String: Any]])
        XCTAssertEqual(windows.count, 4)  // starts 0, 2.5, 5, 7.5 s over 12 s (the last reaches the end)
        XCTAssertEqual(windows.last?["start"] as? Double ?? 0, 7.5, accuracy: 1e-9)
        XCTAssertNil(reply.json["visualization"])
        XCTAssertEqual(short.status, 200)
        XCTAssertEqual((short.json["predictions"] as? [Any])?.count, 3)
        XCTAssertNil(short.json["windows"])
    }

    /// `serve --model A --model B --tta 3`: every class's probability of a 12 s file equals what `infer` with
    /// the same models and views reports (one path: `AveragedClassifier`), and /health says what is served.
    func testEnsembleAndTTAEqualInfer() async throws {
        let models = [TestServer.modelPath, TestServer.secondModelPath]
        let server = try await TestServer(models: models, tta: 3)
        let (samples, rate) = try InferTestSupport.samples(Self.clip)
        let long = Fixtures.scratchDirectory("serve-tta") + "/twelve-seconds.wav"
        try InferTestSupport.writeWAV(samples + samples + Array(samples.prefix(2 * rate)), channels: 1, sampleRate: rate, to: long)
        let reply = try await server.send("POST", "/classify?top=50", body: try Data(contentsOf: URL(fileURLWithPath: long)))
        let health = try await server.send("GET", "/health")
        try await server.close()
        XCTAssertEqual(reply.status, 200, reply.text.prefix(300).description)
        let model = try XCTUnwrap(health.json["model"] as? [String: Any])
        XCTAssertEqual(model["models"] as? Int, 2)
        XCTAssertEqual(model["tta_views"] as? Int, 3)
        XCTAssertEqual(model["tta_scheme"] as? String, "roll")

        var options = InferenceOptions()
        options.tta = 3
        let runner = try InferenceRunner(classifiers: try models.map { try Classifier(modelPath: $0) }, options: options)
        var local: FileResult?
        runner.run([long]) { local = $0 }
        let expected = try XCTUnwrap(local).probabilities
        let served = try XCTUnwrap(reply.json["predictions"] as? [[String: Any]])
        XCTAssertEqual(served.count, 50)
        for p in served {
            let index = try XCTUnwrap(ESC50Classes.names.firstIndex(of: p["class"] as? String ?? ""))
            XCTAssertEqual(p["confidence"] as? Double ?? -1, Double(expected[index]), accuracy: 1e-5, "\(p)")
        }
        // and the ensemble with its views is not the first model alone
        let single = try InferenceRunner(classifier: try Classifier(modelPath: models[0]), options: InferenceOptions())
        var alone: FileResult?
        single.run([long]) { alone = $0 }
        let gap = zip(try XCTUnwrap(alone).probabilities, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(gap, 1e-4)
    }

    /// Every bad request gets its status and a JSON error, and the server keeps serving.
    func testBadRequestsGetJSONErrorsAndTheServerSurvives() async throws {
        let server = try await TestServer { $0.maxBodyBytes = 400_000; $0.maxSeconds = 10 }
        let clip = try Data(contentsOf: URL(fileURLWithPath: Self.clip))
        let (samples, rate) = try InferTestSupport.samples(Self.clip)
        let longPath = Fixtures.scratchDirectory("serve-too-long") + "/eleven-seconds.wav"
        try InferTestSupport.writeWAV(samples + samples + Array(samples.prefix(rate)), channels: 1, sampleRate: rate, to: longPath)
        let wav = try Data(contentsOf: URL(fileURLWithPath: longPath))  // 11 s at 16 kHz: 352 KB, under the body limit
        let cases: [(String, Int, () async throws -> TestServer.Reply)] = [
            ("not JSON", 400, { try await server.send("POST", "/inference", body: Data("audio=xyz".utf8)) }),
            ("JSON array", 400, { try await server.send("POST", "/inference", body: Data("[1,2]".utf8)) }),
            ("missing field", 400, { try await server.send("POST", "/inference", body: Data(#"{"audio":"AAAA"}"#.utf8)) }),
            ("field not a string", 400, { try await server.send("POST", "/inference", body: Data(#"{"audio_data":5}"#.utf8)) }),
            ("invalid base64", 400, { try await server.send("POST", "/inference", body: Data(#"{"audio_data":"***"}"#.utf8)) }),
            ("empty body", 400, { try await server.send("POST", "/classify", body: Data()) }),
            ("not audio", 422, { try await server.inference(Data(String(repeating: "hello ", count: 100).utf8)) }),
            ("truncated header", 422, { try await server.send("POST", "/classify", body: wav.prefix(30)) }),
            ("body over the limit", 413, { try await server.send("POST", "/classify", body: Data(count: 500_000)) }),
            ("audio over max-seconds", 413, { try await server.send("POST", "/classify", body: wav) }),
            ("top=0", 400, { try await server.send("POST", "/classify?top=0", body: clip) }),
            ("wrong method", 405, { try await server.send("GET", "/inference") }),
            ("unknown path", 404, { try await server.send("GET", "/etc/passwd") }),
            ("path traversal", 404, { try await server.send("GET", "/../../etc/passwd") }),
        ]
        for (name, status, call) in cases {
            let reply = try await call()
            XCTAssertEqual(reply.status, status, "\(name): \(reply.text)")
            XCTAssertEqual(reply.json["status"] as? Int, status, "\(name): \(reply.text)")
            XCTAssertFalse((reply.json["error"] as? String ?? "").isEmpty, "\(name): \(reply.text)")
        }
        let allow = try await server.send("POST", "/health").header("allow")
        XCTAssertEqual(allow, "GET")
        let after = try await server.send("POST", "/classify", body: clip)
        XCTAssertEqual(after.status, 200, "still serving after the bad requests")
        try await server.close()
    }

    /// /health names the model, classes and front end; /metrics counts requests by route and status and
    /// A failure the service did not expect answers 500 (not 422, which says the audio was bad), with the
    /// request's id in the body and in the log line; the client's own mistakes keep their status.
    func testUnexpectedErrorsAnswer500WithTheRequestID() throws {
        struct Injected: Error, CustomStringConvertible { var description: String { "injected failure" } }
        let recorder = LogRecorder()
        let logger = Logger(label: "test") { _ in recorder }
        let failure = InferenceService.failure(Injected(), requestID: "req-42", logger: logger)
        XCTAssertEqual(failure.status, 500)
        XCTAssertTrue(failure.message.contains("req-42"), failure.message)
        XCTAssertEqual(recorder.lines.count, 1)
        XCTAssertTrue(recorder.lines.first?.contains("req-42") == true && recorder.lines.first?.contains("injected failure") == true, "\(recorder.lines)")
        let clientError = InferenceService.failure(ServiceError.unsupportedAudio("not audio"), requestID: "req-43", logger: logger)
        XCTAssertEqual(clientError.status, 422)
        XCTAssertEqual(recorder.lines.count, 1, "a client's mistake is not an internal error")
    }

    /// records batch sizes; /openapi.json lists exactly the service's routes.
    func testHealthMetricsAndOpenAPI() async throws {
        let server = try await TestServer()
        let health = try await server.send("GET", "/health")
        _ = try await server.send("GET", "/nowhere")
        _ = try await server.send("POST", "/classify", body: try Data(contentsOf: URL(fileURLWithPath: Self.clip)))
        let metrics = try await server.send("GET", "/metrics")
        let openapi = try await server.send("GET", "/openapi.json")
        try await server.close()
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json["status"] as? String, "ok")
        let model = try XCTUnwrap(health.json["model"] as? [String: Any])
        XCTAssertEqual((model["classes"] as? [String])?.count, 50)
        XCTAssertEqual((model["frontend"] as? [String: Any])?["sample_rate"] as? Int, 22_050)
        XCTAssertTrue(metrics.text.contains(#"audiospecnet_requests_total{route="/health",status="200"} 1"#), metrics.text)
        XCTAssertTrue(metrics.text.contains(#"audiospecnet_requests_total{route="other",status="404"} 1"#), metrics.text)
        XCTAssertTrue(metrics.text.contains(#"audiospecnet_requests_total{route="/classify",status="200"} 1"#), metrics.text)
        XCTAssertTrue(metrics.text.contains("audiospecnet_batch_windows_count 1"), metrics.text)
        XCTAssertTrue(metrics.text.contains("audiospecnet_request_duration_seconds_bucket"), metrics.text)
        XCTAssertTrue(metrics.text.contains("audiospecnet_requests_in_flight"), metrics.text)
        let paths = try XCTUnwrap(openapi.json["paths"] as? [String: [String: Any]])
        var documented: [String: Set<String>] = [:]
        for (path, operations) in paths { documented[path] = Set(operations.keys.map { $0.uppercased() }) }
        var served: [String: Set<String>] = [:]
        for (path, methods) in InferenceService.routeTable { served[path] = Set(methods) }
        XCTAssertEqual(documented, served)
    }

    /// Concurrent requests share forward passes and each gets the answer it would get alone.
    func testConcurrentRequestsAreBatchedAndCorrect() async throws {
        let server = try await TestServer { $0.batchWindow = .milliseconds(200); $0.maxBatch = 16 }
        let files = (0..<4).map { InferTestSupport.clip($0) }
        let bodies = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        var alone: [String] = []
        for body in bodies { alone.append(try await server.send("POST", "/classify?top=50", body: body).text) }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for round in 0..<2 {
                for (i, body) in bodies.enumerated() {
                    group.addTask { (i + 4 * round, try await server.send("POST", "/classify?top=50", body: body).text) }
                }
            }
            var out = [String](repeating: "", count: 8)
            for try await (i, text) in group { out[i] = text }
            return out
        }
        let metrics = try await server.send("GET", "/metrics").text
        try await server.close()
        func confidences(_ text: String) -> [String: Double] {
            let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            var out: [String: Double] = [:]
            for p in json["predictions"] as? [[String: Any]] ?? [] { out[p["class"] as? String ?? ""] = p["confidence"] as? Double }
            return out
        }
        for (i, text) in together.enumerated() {
            let a = confidences(alone[i % 4]), b = confidences(text)
            XCTAssertEqual(a.count, 50)
            XCTAssertEqual(Set(a.keys), Set(b.keys))
            for (k, v) in a { XCTAssertEqual(v, b[k] ?? -1, accuracy: 1e-5, "\(files[i % 4]) \(k)") }
        }
        // Some forward pass held more than one window (8 requests within a 200 ms window).
        let bigBatches = metrics.split(separator: "\n").filter { $0.hasPrefix("audiospecnet_batch_windows_bucket{le=\"1.0\"}") }
        let total = metrics.split(separator: "\n").first { $0.hasPrefix("audiospecnet_batch_windows_count") }
        XCTAssertNotEqual(bigBatches.first?.split(separator: " ").last, total?.split(separator: " ").last, metrics)
    }

    /// CORS headers for the configured origins only, and preflights answered for them.
    func testCORSForConfiguredOriginsOnly() async throws {
        let server = try await TestServer { $0.corsOrigins = ["http://localhost:3000"] }
        let preflight = try await server.send("OPTIONS", "/inference", headers: [
            ("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type"),
        ])
        let allowed = try await server.send("GET", "/health", headers: [("Origin", "http://localhost:3000")])
        let other = try await server.send("GET", "/health", headers: [("Origin", "http://evil.test")])
        let otherPreflight = try await server.send("OPTIONS", "/inference", headers: [
            ("Origin", "http://evil.test"), ("Access-Control-Request-Method", "POST"),
        ])
        try await server.close()
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.header("access-control-allow-origin"), "http://localhost:3000")
        XCTAssertTrue(preflight.header("access-control-allow-methods")?.contains("POST") ?? false)
        XCTAssertEqual(allowed.header("access-control-allow-origin"), "http://localhost:3000")
        XCTAssertNil(other.header("access-control-allow-origin"))
        XCTAssertNil(otherPreflight.header("access-control-allow-origin"))
        XCTAssertEqual(otherPreflight.status, 405)
    }

    /// A client that sends its headers and then dribbles the body does not hold up anyone else.
    func testSlowClientDoesNotBlockOthers() async throws {
        let server = try await TestServer()
        let socket = try RawSocket(port: server.port)
        try socket.send("POST /classify HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nRIFF")
        let clip = try Data(contentsOf: URL(fileURLWithPath: Self.clip))
        for _ in 0..<3 {
            let reply = try await server.send("POST", "/classify", body: clip)
            XCTAssertEqual(reply.status, 200)
        }
        socket.close()
        try await server.close()
    }

    /// The shutdown lets a request in flight finish, then the port is closed.
    func testGracefulShutdownFinishesInFlightRequests() async throws {
        let server = try await TestServer { $0.batchWindow = .milliseconds(500) }
        let clip = try Data(contentsOf: URL(fileURLWithPath: Self.clip))
        let inFlight = Task { try await server.send("POST", "/classify", body: clip) }
        // Wait until the request is in flight (counted by the metrics), then stop.
        var waited = 0
        while waited < 600 {
            let metrics = try await server.send("GET", "/metrics").text
            if metrics.contains("audiospecnet_requests_in_flight 2") { break }  // the request and this /metrics
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        await server.server.stop()
        let reply = try await inFlight.value
        XCTAssertEqual(reply.status, 200)
        try await server.server.wait()
        XCTAssertThrowsError(try RawSocket(port: server.port), "the port is closed after the shutdown")
        server.session.invalidateAndCancel()
    }

    /// The CLI: `serve` prints where it listens, answers, and exits 0 on SIGTERM; bad flags exit 2.
    func testServeCommandStartsAnswersAndStopsOnSIGTERM() throws {
        let bad = try CLI.run(["serve", "--model", TestServer.modelPath, "--max-body", "lots"])
        XCTAssertEqual(bad.status, 2, bad.description)
        let badBatch = try CLI.run(["serve", "--model", TestServer.modelPath, "--max-batch", "0"])
        XCTAssertEqual(badBatch.status, 2, badBatch.description)
        let noModel = try CLI.run(["serve", "--model", "/nonexistent.safetensors", "--port", "0"])
        XCTAssertEqual(noModel.status, 2, noModel.description)

        let scratch = Fixtures.scratchDirectory("serve-cli")
        let errPath = scratch + "/stderr"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binaryPath)
        process.arguments = ["serve", "--model", TestServer.modelPath, "--port", "0", "--threads", "1"]
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var port: Int?
        for _ in 0..<600 where port == nil {
            let text = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let listening = try XCTUnwrap(port, (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        let socket = try RawSocket(port: listening)
        try socket.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(try socket.receiveAll().hasPrefix("HTTP/1.1 200"))
        socket.close()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }
}

/// A plain TCP connection to 127.0.0.1, for what an HTTP client library will not do (stall mid-body).
final class RawSocket {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Everything until the peer closes (or 30 s pass).
    func receiveAll() throws -> String {
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}

/// A log handler that keeps the messages (the service's internal-error line).
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lock.lock(); stored.append("\(message)"); lock.unlock()
    }
}
