import Foundation

/// The server's OpenAPI 3.1 document, served at `GET /openapi.json` and rendered at `GET /docs`.
///
/// Every route the server registers (Application+build.swift and Routes/*.swift) has an
/// operation here; `DocumentationTests` reads the route files and fails when one is missing.
/// Record shapes follow Sources/Shop/Views, request bodies the Decodable structs of the routes.
public enum OpenAPIDocument {
    /// The document as JSON bytes (sorted keys, so the output is stable).
    public static let json: Data = {
        // The document is built from literals only, so serialisation cannot fail.
        (try? JSONSerialization.data(withJSONObject: build(), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }()

    /// The document as a JSON object tree.
    public static func build() -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for operation in OpenAPIOperations.all {
            paths[operation.path, default: [:]][operation.method.lowercased()] = operation.object()
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Tenda API",
                "version": "1.0.0",
                "summary": "The Telegram shop back end: products, stock, sales, payments, debts, orders, contracts, notifications and reports.",
                "description": """
                    JSON in and out (UTF-8). Times are RFC 3339 UTC strings; ids are strings ("p3", "u1"); money is an integer \
                    number of minor units with an ISO 4217 `currency`.

                    Roles nest: `owner` ⊃ `admin` ⊃ `user`. Each operation says who may call it (`x-access`, and \
                    `x-minimum-role`: anyone, user, admin or owner). A blocked user is refused with 403.

                    Lists take `limit` (1–200, default 50) and an opaque `cursor`, and answer `{"items": [...], "next": cursor|null}`. \
                    Stored records carry `version`; routes that take `If-Match: <version>` answer 412 when it is stale. \
                    POST routes that move money or stock honour `Idempotency-Key`: the same key with the same body returns the \
                    first answer and writes nothing new (the same key with another body is 422).

                    Every error is `{"error": {"code", "message", "field", "items", "requestId"}}`; 429 carries `Retry-After`.
                    """,
            ],
            "servers": [["url": "/"]],
            "tags": OpenAPIOperations.tags.map { ["name": $0.name, "description": $0.description] },
            "security": [["bearerAuth": [String]()]],
            "paths": paths,
            "components": [
                "securitySchemes": [
                    "bearerAuth": [
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "The accessToken from POST /api/auth/telegram, /api/auth/code or /api/auth/refresh.",
                    ] as [String: Any],
                ] as [String: Any],
                "schemas": OpenAPISchemas.all,
                "parameters": OpenAPIParameters.all,
                "responses": OpenAPIErrorResponse.components,
            ] as [String: Any],
        ]
    }
}

/// The error answers, one component each, all with the ``Schema`` "Error" body.
enum OpenAPIErrorResponse: Int, CaseIterable {
    case badRequest = 400, unauthorized = 401, forbidden = 403, notFound = 404, methodNotAllowed = 405, conflict = 409
    case gone = 410, preconditionFailed = 412, contentTooLarge = 413, unsupportedMediaType = 415, unprocessable = 422, upgradeRequired = 426,
         tooManyRequests = 429
    case internalError = 500, serviceUnavailable = 503, insufficientStorage = 507

    var name: String {
        switch self {
        case .badRequest: "BadRequest"
        case .unauthorized: "Unauthorized"
        case .forbidden: "Forbidden"
        case .notFound: "NotFound"
        case .methodNotAllowed: "MethodNotAllowed"
        case .conflict: "Conflict"
        case .gone: "Gone"
        case .preconditionFailed: "PreconditionFailed"
        case .contentTooLarge: "ContentTooLarge"
        case .unsupportedMediaType: "UnsupportedMediaType"
        case .unprocessable: "UnprocessableContent"
        case .upgradeRequired: "UpgradeRequired"
        case .tooManyRequests: "TooManyRequests"
        case .internalError: "InternalError"
        case .serviceUnavailable: "ServiceUnavailable"
        case .insufficientStorage: "InsufficientStorage"
        }
    }

    var description: String {
        switch self {
        case .badRequest: "Bad input (invalid_input): a malformed body, a missing or mistyped field, a bad query parameter. `field` names it."
        case .unauthorized: "Not authenticated (not_authenticated), or the bearer token, initData, code or refresh token is invalid or expired."
        case .forbidden: "Not allowed (forbidden): the caller's role is too low, the record is someone else's, or the user is blocked (user_blocked)."
        case .notFound: "No such record (not_found)."
        case .methodNotAllowed: "The path exists but not with this method (method_not_allowed)."
        case .conflict: "Conflict: insufficient_stock (with `items`), already_exists, or invalid_transition (the record's state does not allow it)."
        case .gone: "since_too_old: the changes after `since` were trimmed, or the feed never reached it; epoch_changed: `epoch` is not the store's (it was restored since). Reload and follow from the head."
        case .preconditionFailed: "Stale version (version_conflict): If-Match does not match the record's version."
        case .contentTooLarge: "The body is larger than 1 MiB (too_large)."
        case .unsupportedMediaType: "The body's Content-Type is not one this route takes (unsupported_media_type): JSON bodies are application/json."
        case .unprocessable: "A business rule is broken (rule_broken); a total the request would build (a debt, a stock level, a report's sum) " +
            "does not fit in 64 bits (out_of_range); the Idempotency-Key was reused with another body (idempotency_key_reused); " +
            "or a live query (`watch`) is none the server can run (invalid_input, `field` naming the part)."
        case .upgradeRequired: "A WebSocket route asked without the upgrade headers (upgrade_required)."
        case .tooManyRequests: "Rate limited (rate_limited); wait `Retry-After` seconds."
        case .internalError: "Server error (internal): nothing was written; `requestId` identifies the request."
        case .serviceUnavailable: "telegram_not_configured: the server has no bot token; spreadsheet_unavailable: libxlsxwriter4 is not installed (.xlsx exports)."
        case .insufficientStorage: "No room to store the change (storage_full): the disk is full, or the store is at its size limit " +
            "(`tenda serve --max-map-size`). Nothing was written; reads go on; the same request succeeds once there is room."
        }
    }

    var reference: [String: Any] { ["$ref": "#/components/responses/\(name)"] }

    static var components: [String: Any] {
        var responses: [String: Any] = [:]
        for error in allCases {
            var response: [String: Any] = [
                "description": error.description,
                "content": ["application/json": ["schema": OpenAPISchema.ref("Error")]],
            ] as [String: Any]
            if error == .tooManyRequests {
                response["headers"] = ["Retry-After": ["description": "Seconds to wait.", "schema": ["type": "integer"]] as [String: Any]]
            }
            responses[error.name] = response
        }
        return responses
    }
}
