import Foundation
import Hummingbird
import NIOCore
import Shop
import Store
import Telegram

/// An error as the contract shapes it: `{"error": {"code", "message", "field"}}` with a fitting status.
///
/// Every failure leaves the server through this one type (see ``ErrorMiddleware``), so the
/// mapping from the shop's error codes to HTTP lives in one place.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    /// Short lines of an `insufficient_stock` refusal.
    public let items: [ShortItem]
    /// Seconds to wait, sent as `Retry-After` (rate limits).
    public let retryAfter: Int?
    /// Headers the status calls for: `Allow` with a 405, `Upgrade` with a 426.
    public var headers: HTTPFields = [:]

    public struct ShortItem: Encodable, Sendable {
        let productId: String
        let requested: Int64
        let available: Int64
    }

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, items: [ShortItem] = [],
                retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.items = items
        self.retryAfter = retryAfter
    }

    /// The shop's refusal, with the contract's status for its code.
    public init(_ error: ShopError) {
        let status: HTTPResponse.Status = switch error.code {
        case .invalidInput: .badRequest
        case .notAuthenticated, .sessionEnded, .tokenExpired: .unauthorized
        case .forbidden, .userBlocked: .forbidden
        case .notFound: .notFound
        case .insufficientStock, .alreadyExists, .invalidTransition: .conflict
        case .versionConflict: .preconditionFailed
        case .ruleBroken, .outOfRange, .idempotencyKeyReused: .unprocessableContent
        case .storeFailure: .internalServerError
        case .storageFull: .insufficientStorage
        }
        self.init(status, error.code.rawValue, error.message, field: error.field, items: error.shortItems.map {
            ShortItem(productId: EntityKind.product.format($0.productId), requested: $0.requested, available: $0.available)
        })
    }

    /// Any error as the contract shapes it, as ``ErrorMiddleware`` would answer it (for one item
    /// of a bulk request, answered inside a 200).
    static func of(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: error
        case let error as ShopError: APIError(error)
        case let error as StoreError: APIError(ShopError(error))
        case let error as DecodingError: APIError.invalid(ErrorMiddleware<AppRequestContext>.field(of: error), ErrorMiddleware<AppRequestContext>.describe(error))
        default: APIError(.internalServerError, "internal", "something went wrong; nothing was written")
        }
    }

    static func invalid(_ field: String, _ message: String) -> APIError { APIError(.badRequest, "invalid_input", message, field: field) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorBody(error: .init(code: code, message: message, field: field, items: items.isEmpty ? nil : items,
                                          requestId: context.logger[metadataKey: "hb.request.id"]?.description))
        let data = try JSONEncoder().encode(body)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        headers.append(contentsOf: self.headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPResponse.Status {
    /// 507: no room to store the change (a full disk, or the store at its size limit).
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}

/// The contract's error body.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
        let field: String?
        let items: [APIError.ShortItem]?
        let requestId: String?
    }
    let error: Detail
}

/// Turns every error a route throws into an ``APIError``: the shop's, bad JSON, Telegram's
/// refusals, the router's own 404 and 405, and anything unexpected (a 500 that says nothing more).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as ShopError {
            throw APIError(error)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "too_large", "the body is larger than \(context.maxUploadSize) bytes")
        } catch let error as StoreError {
            throw APIError(ShopError(error))
        } catch let error as TelegramAuthError {
            throw APIError(.unauthorized, error.code.rawValue, error.message, field: "initData")
        } catch let error as DecodingError {
            throw APIError.invalid(Self.field(of: error), Self.describe(error))
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIError(.notFound, "not_found", "no such route")
            case .methodNotAllowed: throw APIError(.methodNotAllowed, "method_not_allowed", "this route does not take \(request.method)")
            case .contentTooLarge: throw APIError(.contentTooLarge, "too_large", "the body is larger than \(context.maxUploadSize) bytes")
            case .badRequest: throw APIError(.badRequest, "invalid_input", error.body ?? "bad request")
            default: throw APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("unexpected error: \(error)")
            throw APIError(.internalServerError, "internal", "something went wrong; nothing was written")
        }
    }

    static func field(of error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        return path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "\(key.stringValue) is required"
        case .typeMismatch(let type, _): "expected \(type)"
        case .valueNotFound(let type, _): "expected \(type), found null"
        case .dataCorrupted(let context): context.codingPath.isEmpty ? "the body is not valid JSON" : context.debugDescription
        @unknown default: "the body does not match the expected shape"
        }
    }
}
