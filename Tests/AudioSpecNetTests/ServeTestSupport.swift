import AudioSpecNet
import AudioSpecNetService
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import _TestSupport

/// A service on a free loopback port for the test's lifetime, and a real HTTP client to call it
/// (Foundation's URLSession: libcurl underneath, nothing to build).
final class TestServer {
    let server: ServiceServer
    let port: Int
    let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 120
        return URLSession(configuration: configuration)
    }()
    var base: String { "http://127.0.0.1:\(port)" }

    /// The recipe's depth (3-4-6-3 blocks, so the 37 feature maps of the reference) at width 8, with the
    /// ESC-50 class names and fresh weights: fast, and the JSON has the reference's shape.
    static let modelPath: String = {
        let path = Fixtures.scratchDirectory("serve-model") + "/recipe-depth-w8.safetensors"
        try! InferTestSupport.writeModel(config: AudioCNNConfig(width: 8, blocks: [3, 4, 6, 3], numClasses: 50),
                                         classes: ESC50Classes.names, to: path)
        return path
    }()

    /// The same depth and width with other weights: an ensemble's second model.
    static let secondModelPath: String = {
        let path = Fixtures.scratchDirectory("serve-model") + "/recipe-depth-w8-seed2.safetensors"
        try! InferTestSupport.writeModel(config: AudioCNNConfig(width: 8, blocks: [3, 4, 6, 3], numClasses: 50),
                                         classes: ESC50Classes.names, to: path, seed: 2)
        return path
    }()

    /// `models`: the files served (an ensemble when more than one), with `tta` views.
    init(models: [String] = [TestServer.modelPath], tta: Int = 1, configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws {
        var configuration = ServiceConfiguration()
        configuration.port = 0
        configure(&configuration)
        let averaged = try AveragedClassifier(classifiers: try models.map { try Classifier(modelPath: $0, context: ComputeContext(threads: 2)) },
                                              tta: tta)
        let service = try InferenceService(configuration: configuration, models: averaged, modelDescription: models.joined(separator: " + "))
        server = ServiceServer(service: service)
        guard let port = await server.port() else {
            try await server.wait()
            throw AudioSpecNetError.invalidArgument("the test server did not start")
        }
        self.port = port
    }

    func close() async throws {
        await server.stop()
        try await server.wait()
        session.invalidateAndCancel()
    }

    struct Reply {
        let status: Int
        let headers: [(String, String)]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    func send(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.timeoutInterval = 120
        for (k, v) in headers { request.addValue(v, forHTTPHeaderField: k) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        let fields = http.allHeaderFields.map { ("\($0.key)", "\($0.value)") }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func inference(_ audio: Data) async throws -> Reply {
        let body = try JSONSerialization.data(withJSONObject: ["audio_data": audio.base64EncodedString()])
        return try await send("POST", "/inference", body: body, headers: [("Content-Type", "application/json")])
    }
}

/// The 50 ESC-50 category names in target order, from the repository's class list.
enum ESC50Classes {
    static let names: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try! String(contentsOf: root.appendingPathComponent("esc50-meta/classes.csv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }
    }()
}
