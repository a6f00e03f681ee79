import Foundation

/// Why a request failed, as the HTTP status and one line the client can act on. Every failure the service
/// answers is one of these, so every error body has the same JSON shape: `{"error": "...", "status": N}`.
public enum ServiceError: Error, CustomStringConvertible, Sendable {
    case badRequest(String)            // 400: not JSON, missing field, invalid base64, empty body
    case notFound(String)              // 404
    case methodNotAllowed(String, allowed: [String])  // 405
    case tooLarge(String)              // 413: body over --max-body, audio over --max-seconds
    case unsupportedAudio(String)      // 422: bytes that are not audio libsndfile can read, or broken audio
    case overloaded(String)            // 503: the queue for the network is full
    case unavailable(String)           // 503: shutting down
    case internalError(requestID: String)  // 500: a failure the service did not expect (logged under the id)

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .tooLarge: return 413
        case .unsupportedAudio: return 422
        case .overloaded, .unavailable: return 503
        case .internalError: return 500
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .methodNotAllowed(let m, _), .tooLarge(let m), .unsupportedAudio(let m),
             .overloaded(let m), .unavailable(let m):
            return m
        case .internalError(let id):
            return "internal error (request \(id)); the server's log has the details"
        }
    }

    public var description: String { "\(status): \(message)" }
}
