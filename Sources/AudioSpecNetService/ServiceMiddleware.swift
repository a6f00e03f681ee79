import Foundation
import Hummingbird

/// Counts every request by route and status, times it, and tracks those in flight. Unknown paths are
/// counted as route "other", so a scan of random URLs cannot grow the metrics without bound.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    let routes: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = routes[request.uri.path] != nil ? request.uri.path : "other"
        let start = ContinuousClock.now
        metrics.started()
        do {
            let response = try await next(request, context)
            metrics.finished(route: route, status: response.status.code, latency: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.finished(route: route, status: status, latency: ContinuousClock.now - start)
            throw error
        }
    }
}

/// 404 for a path the service does not have and 405 (with `Allow`) for a method a path does not take,
/// both as the service's JSON errors.
struct RouteCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let methods = routes[request.uri.path] else {
            return InferenceService.error(.notFound("no route \(request.uri.path); see /openapi.json"))
        }
        let allowed = methods + (methods.contains(.get) ? [.head] : [])
        guard allowed.contains(request.method) else {
            return InferenceService.error(.methodNotAllowed("\(request.uri.path) takes \(methods.map(\.rawValue).joined(separator: ", ")), not \(request.method.rawValue)",
                                                            allowed: methods.map(\.rawValue)))
        }
        return try await next(request, context)
    }
}

/// CORS for the listed origins only: a preflight `OPTIONS` from one of them gets 204 with the allowed
/// methods and headers; its other requests get `Access-Control-Allow-Origin`. Other origins get no CORS
/// headers (the browser then blocks the page), and with no origins configured nothing changes.
struct CORSOriginsMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Content-Type"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
